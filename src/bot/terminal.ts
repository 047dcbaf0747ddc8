import { createInterface } from 'node:readline';
import type { Bot, Context, Transformer } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import type { Logger } from '../logger.ts';
import { htmlToPlain } from './format.ts';

/**
 * The terminal chat: with no bot token, lines typed in the terminal become
 * Telegram updates for the very same bot, and everything the bot would
 * send to Telegram is printed instead. Inline buttons are listed with
 * numbers; typing the number presses the button.
 */

export const TERMINAL_BOT_INFO: UserFromGetMe = {
  id: 1_000_000_001,
  is_bot: true,
  first_name: 'mStock bot (terminal)',
  username: 'mstock_terminal_bot',
  can_join_groups: false,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
} as UserFromGetMe;

interface Button {
  text: string;
  data: string;
  messageId: number;
}

export interface TerminalChatOptions {
  /** The user the terminal speaks as; must be allowed in the bot's config. */
  userId: number;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  logger: Logger;
}

export interface TerminalChat {
  /** Resolves when the input ends (Ctrl-D) and every typed line is handled. */
  finished: Promise<void>;
  close(): void;
}

/**
 * Installs the printing transformer on `bot.api` and starts reading lines.
 * Call after the bot's own transformers are installed: the last one
 * installed runs first, so nothing here ever reaches the network.
 */
export function startTerminalChat<C extends Context>(
  bot: Bot<C>,
  options: TerminalChatOptions,
): TerminalChat {
  const output = options.output ?? process.stdout;
  const write = (text: string): void => {
    output.write(text);
  };
  const userId = options.userId;
  const chat = { id: userId, type: 'private' as const, first_name: 'You' };
  const from = { id: userId, is_bot: false, first_name: 'You' };

  let nextUpdateId = 1;
  let nextMessageId = 1;
  let buttons: Button[] = [];
  const now = () => Math.floor(Date.now() / 1000);

  // Lines being handled; output outside them (an alert, a late result)
  // arrives over the prompt, which is then drawn again below it.
  let handling = 0;
  const print = (text: string) => {
    const body = htmlToPlain(text)
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n');
    write(`\n${body}\n`);
    if (handling === 0) write('you› ');
  };

  const showButtons = (markup: unknown, messageId: number) => {
    const rows = (markup as { inline_keyboard?: unknown[][] } | undefined)
      ?.inline_keyboard;
    if (!Array.isArray(rows)) return;
    buttons = [];
    for (const row of rows) {
      for (const b of row as { text?: string; callback_data?: string }[]) {
        if (typeof b.callback_data === 'string') {
          buttons.push({
            text: b.text ?? '?',
            data: b.callback_data,
            messageId,
          });
        }
      }
    }
    if (buttons.length > 0) {
      const list = buttons.map((b, i) => `[${i + 1}] ${b.text}`).join('   ');
      write(`  ${list}   (type the number)\n`);
    }
  };

  const printer: Transformer = (prev, method, payload, signal) => {
    const p = payload as Record<string, unknown>;
    const text = typeof p.text === 'string' ? p.text : '';
    switch (method) {
      case 'sendMessage': {
        const messageId = nextMessageId++;
        print(text);
        showButtons(p.reply_markup, messageId);
        return fakeOk({
          message_id: messageId,
          date: now(),
          chat: { id: Number(p.chat_id), type: 'private' },
          text: text,
        });
      }
      case 'editMessageText': {
        print(text);
        showButtons(p.reply_markup, Number(p.message_id));
        return fakeOk({
          message_id: Number(p.message_id),
          date: now(),
          chat: { id: Number(p.chat_id), type: 'private' },
          text: text,
        });
      }
      case 'editMessageReplyMarkup':
        if (p.reply_markup === undefined) buttons = [];
        else showButtons(p.reply_markup, Number(p.message_id));
        return fakeOk(true);
      case 'answerCallbackQuery':
        if (typeof p.text === 'string' && p.text !== '') {
          write(`  (${p.text})\n`);
        }
        return fakeOk(true);
      case 'getMe':
        return fakeOk(TERMINAL_BOT_INFO);
      default:
        // setMyCommands, sendChatAction, deleteMessage and the like have
        // no meaning in a terminal; answer success and move on.
        void prev;
        void signal;
        return fakeOk(true);
    }
  };
  bot.api.config.use(printer);

  const toUpdate = (line: string): Update => {
    const pressed = /^\d+$/.test(line) ? buttons[Number(line) - 1] : undefined;
    if (pressed !== undefined) {
      buttons = [];
      return {
        update_id: nextUpdateId++,
        callback_query: {
          id: String(nextUpdateId),
          from,
          chat_instance: 'terminal',
          data: pressed.data,
          message: {
            message_id: pressed.messageId,
            date: now(),
            chat,
            text: '',
          },
        },
      };
    }
    const command = /^\/\S+/.exec(line);
    return {
      update_id: nextUpdateId++,
      message: {
        message_id: nextMessageId++,
        date: now(),
        chat,
        from,
        text: line,
        ...(command
          ? {
              entities: [
                { type: 'bot_command', offset: 0, length: command[0].length },
              ],
            }
          : {}),
      },
    };
  };

  const rl = createInterface({
    input: options.input ?? process.stdin,
    terminal: false,
  });
  const prompt = (): void => {
    write('you› ');
  };
  let queue: Promise<void> = Promise.resolve();

  rl.on('line', (raw) => {
    const line = raw.trim();
    if (line === '') {
      prompt();
      return;
    }
    // One line at a time, in order, as Telegram delivers a private chat.
    queue = queue
      .then(async () => {
        handling += 1;
        try {
          await bot.handleUpdate(toUpdate(line));
        } finally {
          handling -= 1;
        }
      })
      .catch((err: unknown) => {
        options.logger.error({ err }, 'terminal update failed');
        write('  (something went wrong; see the log)\n');
      })
      .then(prompt);
  });

  const finished = new Promise<void>((resolve) => {
    rl.on('close', () => {
      void queue.then(resolve);
    });
  });

  write(
    'Terminal chat. Try /help, /quote INFY M&M, /buy INFY 1, /panic. Ctrl-D quits.\n',
  );
  prompt();
  return { finished, close: () => rl.close() };
}

function fakeOk<T>(result: T) {
  // The transformer's return type is keyed by method; the terminal answers
  // a plain success that grammY passes back to the caller as is.
  return Promise.resolve({ ok: true as const, result }) as never;
}
