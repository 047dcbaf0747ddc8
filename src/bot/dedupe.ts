import type { Redis } from 'ioredis';

/**
 * Telegram delivers updates at least once: after a crash or a timed-out
 * webhook the same update comes again. The first process to claim its
 * `update_id` handles it; every later delivery does nothing.
 */

const SEEN_TTL_SECONDS = 24 * 60 * 60;

/** @returns true for the first delivery of this update. */
export async function claimUpdate(
  redis: Redis,
  prefix: string,
  updateId: number,
): Promise<boolean> {
  const set = await redis.set(
    `${prefix}:update:${updateId}`,
    '1',
    'EX',
    SEEN_TTL_SECONDS,
    'NX',
  );
  return set === 'OK';
}
