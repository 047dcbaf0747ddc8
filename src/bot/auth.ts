import type { Redis } from 'ioredis';
import type { AllowedUser, Config } from '../config.ts';

/**
 * Who may use the bot: the sender's Telegram user id (`from.id`) looked up
 * in TELEGRAM_USERS. Deny by default; a chat id never grants anything, so
 * in a group only the allowed members are heard.
 */

export function findUser(
  config: Config,
  userId: number | undefined,
): AllowedUser | undefined {
  if (userId === undefined) return undefined;
  return config.telegram.users.find((u) => u.id === userId);
}

export const STRANGER_REPLY = 'This bot is private.';

const REFUSAL_TTL_SECONDS = 60 * 60;

/**
 * One refusal per stranger per hour, however many messages they send: a
 * reply confirms the bot is alive, so it stays short and rare.
 * @returns true when this attempt should get the refusal line.
 */
export async function shouldRefuse(
  redis: Redis,
  prefix: string,
  userId: number,
): Promise<boolean> {
  const set = await redis.set(
    `${prefix}:refused:${userId}`,
    '1',
    'EX',
    REFUSAL_TTL_SECONDS,
    'NX',
  );
  return set === 'OK';
}
