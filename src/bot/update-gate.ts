import type { MiddlewareFn } from 'grammy';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { findUser, shouldRefuse, STRANGER_REPLY } from './auth.ts';
import { chatTargetOf } from './chat-reply.ts';
import {
  commandTextOf,
  isAddressedTo,
  lowerCaseCommand,
} from './command-text.ts';
import type { BotContext } from './context.ts';
import { QUEUE_DOWN_REPLY } from './call-broker.ts';
import { withDeadline } from './deadline.ts';
import { claimUpdate } from './dedupe.ts';
import { sendHtml } from './send-html.ts';

/**
 * The steps every update passes before any command runs, in order: name
 * it in the logs, drop a redelivery, drop what is not a command source,
 * then let through only allowed senders.
 */

export interface GateDeps {
  config: Config;
  redis: Redis;
  logger: Logger;
  /** Off for the terminal chat, whose update ids restart at 1. */
  dedupe: boolean;
  paper: boolean;
  /** Longest wait for the dedupe write before calling Redis down. */
  redisDeadlineMs: number;
}

/** Sets `ctx.log` and `ctx.auth` for everything after it. */
export function identify(deps: GateDeps): MiddlewareFn<BotContext> {
  return async (ctx, next) => {
    ctx.auth = findUser(deps.config, ctx.from?.id);
    ctx.log = deps.logger.child({
      update_id: ctx.update.update_id,
      ...(ctx.from !== undefined ? { user_id: ctx.from.id } : {}),
    });
    await next();
  };
}

/**
 * Invariant 1: a redelivered update does nothing. This is also the first
 * Redis call of every update, so a Redis outage is noticed here: an
 * allowed user hears that the queue is unavailable, within
 * `redisDeadlineMs`, and the update is dropped rather than half done.
 */
export function dropRedelivered(deps: GateDeps): MiddlewareFn<BotContext> {
  return async (ctx, next) => {
    if (!deps.dedupe) return next();
    let first: boolean;
    try {
      first = await withDeadline(
        claimUpdate(deps.redis, deps.config.queuePrefix, ctx.update.update_id),
        deps.redisDeadlineMs,
        'update dedupe',
      );
    } catch (err) {
      ctx.log.error({ err }, 'redis unavailable; update dropped');
      await tellQueueDown(ctx, deps.paper);
      return;
    }
    if (!first) {
      ctx.log.info('redelivered update ignored');
      return;
    }
    await next();
  };
}

async function tellQueueDown(ctx: BotContext, paper: boolean) {
  if (ctx.auth === undefined) return;
  if (ctx.callbackQuery !== undefined) {
    await ctx.answerCallbackQuery({ text: 'Unavailable; try again shortly.' });
  }
  const target = chatTargetOf(ctx);
  const toUs =
    ctx.callbackQuery !== undefined ||
    (ctx.message !== undefined &&
      ctx.message.forward_origin === undefined &&
      (ctx.chat?.type === 'private' ||
        isCommandToUs(ctx.message, ctx.me.username)));
  if (target !== undefined && toUs) {
    await sendHtml(ctx.api, target, QUEUE_DOWN_REPLY, {
      paper,
      logger: ctx.log,
    });
  }
}

function isCommandToUs(
  message: Parameters<typeof commandTextOf>[0],
  username: string,
): boolean {
  const command = commandTextOf(message);
  return command !== undefined && isAddressedTo(command, username);
}

const EDIT_NOTICE =
  'Edits are not commands: nothing changed. Send the command again as a new message.';

/**
 * Lets through new messages from a person and button presses. Channel
 * posts have no sender; a forwarded `/panic` was typed by someone else,
 * maybe long ago; an edited `/buy 50` must not become a second order.
 */
export function keepCommandSources(deps: GateDeps): MiddlewareFn<BotContext> {
  return async (ctx, next) => {
    const { message, callback_query: press, edited_message: edit } = ctx.update;
    if (press !== undefined) return next();
    if (message !== undefined) {
      if (message.from === undefined || message.from.is_bot) return;
      if (message.forward_origin !== undefined) {
        ctx.log.info('forwarded message ignored');
        return;
      }
      if (message.text === undefined) return;
      return next();
    }
    if (edit !== undefined && ctx.auth !== undefined) {
      const command = commandTextOf(edit);
      const target = chatTargetOf(ctx);
      if (
        command !== undefined &&
        target !== undefined &&
        isAddressedTo(command, ctx.me.username)
      ) {
        await sendHtml(ctx.api, target, EDIT_NOTICE, {
          paper: deps.paper,
          logger: ctx.log,
        });
      }
    }
  };
}

/**
 * Invariant 3: only TELEGRAM_USERS get past here. A stranger's command or
 * private message gets one short line an hour, a button press a toast;
 * the attempt is logged without its content.
 */
export function allowOnlyUsers(deps: GateDeps): MiddlewareFn<BotContext> {
  return async (ctx, next) => {
    if (ctx.auth !== undefined) return next();
    const from = ctx.from;
    if (from === undefined) return;

    if (ctx.callbackQuery !== undefined) {
      ctx.log.warn({ kind: 'button' }, 'stranger refused');
      const refuse = await shouldRefuse(
        deps.redis,
        deps.config.queuePrefix,
        from.id,
      );
      await ctx.answerCallbackQuery(refuse ? { text: STRANGER_REPLY } : {});
      return;
    }

    const command = commandTextOf(ctx.message);
    const isPrivate = ctx.chat?.type === 'private';
    const toUs =
      command !== undefined ? isAddressedTo(command, ctx.me.username) : false;
    // Strangers chatting in a group are not talking to the bot.
    if (!toUs && !isPrivate) return;
    ctx.log.warn(
      {
        kind: command !== undefined ? 'command' : 'text',
        chat_id: ctx.chat?.id,
        chat_type: ctx.chat?.type,
      },
      'stranger refused',
    );
    const target = chatTargetOf(ctx);
    if (target === undefined) return;
    if (await shouldRefuse(deps.redis, deps.config.queuePrefix, from.id)) {
      // No PAPER badge, no mode, nothing: a stranger learns nothing.
      await sendHtml(ctx.api, target, STRANGER_REPLY, { paper: false });
    }
  };
}

/** `/PANIC` → `/panic`, so command routing ignores case. */
export const normaliseCommand: MiddlewareFn<BotContext> = async (ctx, next) => {
  if (ctx.message !== undefined) lowerCaseCommand(ctx.message);
  await next();
};
