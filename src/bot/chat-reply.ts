import type { Api } from 'grammy';
import type { InlineKeyboardMarkup, Message } from 'grammy/types';
import type { Logger } from '../logger.ts';
import type { BotContext } from './context.ts';
import { sendHtml, type ChatTarget } from './send-html.ts';

/**
 * A handle for answering in the chat (and forum topic) an update came
 * from. It outlives the update, so a result that arrives later (a slow
 * job) still goes to the right place.
 */
export interface Replier {
  readonly target: ChatTarget;
  readonly api: Api;
  readonly paper: boolean;
  readonly log: Logger;
  send(
    html: string,
    replyMarkup?: InlineKeyboardMarkup,
  ): Promise<Message.TextMessage[]>;
}

/** The chat and topic of the update's message or pressed button. */
export function chatTargetOf(ctx: BotContext): ChatTarget | undefined {
  const chatId = ctx.chat?.id;
  if (chatId === undefined) return undefined;
  const msg = ctx.message ?? ctx.callbackQuery?.message;
  // Only a topic message names a forum topic; in other supergroups
  // message_thread_id marks a reply chain, which sendMessage refuses.
  const threadId =
    msg !== undefined && 'is_topic_message' in msg && msg.is_topic_message
      ? msg.message_thread_id
      : undefined;
  return { chatId, threadId };
}

export function createReplier(
  api: Api,
  target: ChatTarget,
  paper: boolean,
  log: Logger,
): Replier {
  return {
    target,
    api,
    paper,
    log,
    send: (html, replyMarkup) =>
      sendHtml(api, target, html, { paper, replyMarkup, logger: log }),
  };
}

export function replierFor(ctx: BotContext, paper: boolean): Replier {
  const target = chatTargetOf(ctx);
  if (target === undefined) {
    // Every handler that replies runs on a message or a button press.
    throw new Error(`update ${ctx.update.update_id} has no chat to answer`);
  }
  return createReplier(ctx.api, target, paper, ctx.log);
}
