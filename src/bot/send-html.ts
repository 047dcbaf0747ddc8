import type { Api } from 'grammy';
import type { InlineKeyboardMarkup, Message } from 'grammy/types';
import type { Logger } from '../logger.ts';
import { htmlToPlain } from './format.ts';
import { splitHtml, TELEGRAM_TEXT_LIMIT } from './split-message.ts';
import {
  isNotModified,
  isParseError,
  isThreadGone,
  telegramErrorFields,
} from './telegram-errors.ts';

/**
 * The one way the bot and the notifier send text: HTML parse mode, split
 * to Telegram's limit with "(1/3)" markers, marked PAPER in paper mode,
 * and sent again as plain text when Telegram cannot parse the HTML (a
 * formatting bug should cost the formatting, never the message).
 */

export const PAPER_BADGE = '📝 PAPER';

/** Room kept in each part for the badge and the part marker. */
const HEADER_ROOM = 40;

export interface ChatTarget {
  chatId: number;
  /** Forum topic to answer in; only for messages that came from a topic. */
  threadId?: number | undefined;
}

export interface SendOptions {
  paper: boolean;
  /** Buttons, attached to the last part. */
  replyMarkup?: InlineKeyboardMarkup | undefined;
  logger?: Logger | undefined;
}

function header(paper: boolean, index: number, count: number): string {
  const words: string[] = [];
  if (paper) words.push(PAPER_BADGE);
  if (count > 1) words.push(`(${index + 1}/${count})`);
  return words.length === 0 ? '' : `${words.join(' · ')}\n`;
}

/** Splits and marks a message the way {@link sendHtml} will send it. */
// TODO(bot): a very long reply (hundreds of orders) arrives as many
// messages; send a summary plus a file instead once replies can carry
// documents (the terminal chat and the capture would need to show them).
export function composeParts(html: string, paper: boolean): string[] {
  const parts = splitHtml(html, TELEGRAM_TEXT_LIMIT - HEADER_ROOM);
  return parts.map((part, i) => header(paper, i, parts.length) + part);
}

/**
 * Sends every part in order; throws the first error that is neither a
 * parse error (resent as plain text) nor a vanished forum topic (resent
 * to the chat itself).
 */
export async function sendHtml(
  api: Api,
  target: ChatTarget,
  html: string,
  options: SendOptions,
): Promise<Message.TextMessage[]> {
  const parts = composeParts(html, options.paper);
  const sent: Message.TextMessage[] = [];
  let threadId = target.threadId;
  for (const [i, text] of parts.entries()) {
    const markup =
      i === parts.length - 1 && options.replyMarkup !== undefined
        ? { reply_markup: options.replyMarkup }
        : {};
    const send = (body: string, html: boolean) =>
      api.sendMessage(target.chatId, body, {
        ...(threadId !== undefined ? { message_thread_id: threadId } : {}),
        link_preview_options: { is_disabled: true },
        ...markup,
        ...(html ? { parse_mode: 'HTML' as const } : {}),
      });
    try {
      sent.push(await send(text, true));
    } catch (err) {
      if (threadId !== undefined && isThreadGone(err)) {
        // The topic was closed or deleted: the chat itself still works.
        options.logger?.warn(
          { chat_id: target.chatId, thread_id: threadId },
          'forum topic gone; answering in the chat',
        );
        threadId = undefined;
        sent.push(await send(text, true));
        continue;
      }
      if (!isParseError(err)) throw err;
      options.logger?.warn(
        { chat_id: target.chatId, ...telegramErrorFields(err) },
        'html rejected; sending plain text',
      );
      sent.push(await send(htmlToPlain(text), false));
    }
  }
  return sent;
}

/**
 * Replaces a short message's text (a confirmation ticket). Unlike
 * {@link sendHtml} it does not split: tickets are far below the limit.
 * "Message is not modified" counts as done.
 */
export async function editHtml(
  api: Api,
  chatId: number,
  messageId: number,
  html: string,
  options: SendOptions,
): Promise<void> {
  const text = header(options.paper, 0, 1) + html;
  const extra =
    options.replyMarkup !== undefined
      ? { reply_markup: options.replyMarkup }
      : {};
  try {
    await api.editMessageText(chatId, messageId, text, {
      ...extra,
      parse_mode: 'HTML',
    });
  } catch (err) {
    if (isNotModified(err)) return;
    if (!isParseError(err)) throw err;
    options.logger?.warn(
      { chat_id: chatId, ...telegramErrorFields(err) },
      'html rejected; editing as plain text',
    );
    await api.editMessageText(chatId, messageId, htmlToPlain(text), extra);
  }
}
