import type { MiddlewareFn } from 'grammy';
import type { Role } from '../config.ts';
import { hasRole } from './command-table.ts';
import type { BotContext } from './context.ts';
import { replierFor } from './chat-reply.ts';

/**
 * Stops a command the sender's role does not allow, with one line saying
 * which role it needs. Button presses are re-checked separately, when the
 * intent is confirmed.
 */
export function requireRole(
  command: string,
  needed: Role,
  paper: boolean,
): MiddlewareFn<BotContext> {
  return async (ctx, next) => {
    const role = ctx.auth?.role;
    if (role !== undefined && hasRole(role, needed)) return next();
    ctx.log.info({ command, role }, 'command refused for role');
    await replierFor(ctx, paper).send(
      `⛔ /${command} needs the ${needed} role; you are a ${role ?? 'stranger'}.`,
    );
  };
}
