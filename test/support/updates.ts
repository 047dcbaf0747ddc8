import { readFileSync } from 'node:fs';
import type { Update, UserFromGetMe } from 'grammy/types';

/**
 * Telegram updates for bot tests: the recorded fixtures, and factories
 * for the rest. The people are the fixtures' own: Asha trades, Ravi and
 * Meera watch, Dev is the admin, and 555555555 is nobody we know.
 */

export const BOT_INFO = {
  id: 7000001,
  is_bot: true,
  first_name: 'Trader',
  username: 'our_trader_bot',
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
  supports_join_request_queries: false,
} satisfies UserFromGetMe;

export const ASHA = 111111111; // trader
export const RAVI = 222222222; // viewer
export const MEERA = 333333333; // viewer
export const DEV = 444444444; // admin
export const STRANGER = 555555555;

/** TELEGRAM_USERS for the people above. */
export const TEST_USERS = `${ASHA}:trader,${RAVI}:viewer,${MEERA}:viewer,${DEV}:admin`;

export const DESK_GROUP = -1001234567890;
export const DESK_TOPIC = 7;

const FIXTURES = new URL('../fixtures/telegram-updates/', import.meta.url);

/** A fixture file as parsed JSON (an update or a Bot API error reply). */
export function loadFixture<T = Update>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as T;
}

// Ids above the fixtures' 8200xx, unique within a test process.
let nextUpdateId = 900_000;
let nextMessageId = 5_000;

function person(id: number) {
  return { id, is_bot: false, first_name: `User${id}` };
}

export interface MessageOptions {
  /** Default: the sender's private chat. */
  chatId?: number;
  /** Forum topic; marks the message as a topic message. */
  threadId?: number;
}

/**
 * A text message; a leading `/word` (up to the first space or newline)
 * gets its `bot_command` entity, as Telegram sends it.
 */
export function textMessage(
  from: number,
  text: string,
  options: MessageOptions = {},
): Update {
  const chatId = options.chatId ?? from;
  const command = /^\/\S+/.exec(text);
  return {
    update_id: nextUpdateId++,
    message: {
      message_id: nextMessageId++,
      date: 1796380200,
      from: person(from),
      chat:
        chatId < 0
          ? { id: chatId, type: 'supergroup', title: 'Desk', is_forum: true }
          : { id: chatId, type: 'private', first_name: `User${from}` },
      text,
      ...(command !== null
        ? {
            entities: [
              { type: 'bot_command', offset: 0, length: command[0].length },
            ],
          }
        : {}),
      ...(options.threadId !== undefined
        ? { message_thread_id: options.threadId, is_topic_message: true }
        : {}),
    },
  };
}

/** A press on an inline button of message `messageId` in `chatId`. */
export function buttonPress(
  from: number,
  data: string,
  options: { chatId?: number; messageId?: number } = {},
): Update {
  const chatId = options.chatId ?? from;
  return {
    update_id: nextUpdateId++,
    callback_query: {
      id: `cb-${nextUpdateId}`,
      from: person(from),
      chat_instance: '-7155211230913711093',
      data,
      message: {
        message_id: options.messageId ?? 1,
        date: 1796380260,
        chat:
          chatId < 0
            ? { id: chatId, type: 'supergroup', title: 'Desk' }
            : { id: chatId, type: 'private', first_name: `User${chatId}` },
        text: 'ticket',
      },
    },
  };
}

/** The same update again, as Telegram redelivers it. */
export function redelivered(update: Update): Update {
  return structuredClone(update);
}

/** A copy with a fresh update_id: the same content, a new delivery. */
export function resent(update: Update): Update {
  return { ...structuredClone(update), update_id: nextUpdateId++ };
}
