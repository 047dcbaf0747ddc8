import type { Context } from 'grammy';
import type { AllowedUser } from '../config.ts';
import type { Logger } from '../logger.ts';

/**
 * What the bot's middleware adds to grammY's context. Both fields are set
 * by the first middleware of every update, before any handler runs.
 */
export interface BotFlavor {
  /** The sender as found in TELEGRAM_USERS; undefined for a stranger. */
  auth: AllowedUser | undefined;
  /** Child logger carrying `update_id` (and `user_id` once known). */
  log: Logger;
}

export type BotContext = Context & BotFlavor;
