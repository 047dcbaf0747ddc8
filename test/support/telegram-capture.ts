import type { ApiClientOptions, Transformer } from 'grammy';

/**
 * Telegram's side of a bot test, without a socket. Plug `fetch` into the
 * bot's client options (it sits below every transformer, so auto-retry
 * and the throttler run for real) or install `transformer` on an `Api`.
 * Every call is recorded. Like Telegram, it refuses HTML it cannot parse
 * and text longer than 4096 characters, so a formatting or splitting bug
 * fails a test instead of passing silently. Errors can be scripted per
 * method and chat.
 */

export interface CapturedCall {
  method: string;
  payload: Record<string, unknown>;
  /** Epoch ms when the call arrived. */
  at: number;
  /** True when the fake answered success (the message "arrived"). */
  accepted: boolean;
}

export interface TelegramFailure {
  ok: false;
  error_code: number;
  description: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

/** A scripted answer: a Telegram error, or no answer at all. */
export type ScriptedFailure = TelegramFailure | 'network';

interface Script {
  method: string;
  chatId: number | undefined;
  failure: ScriptedFailure;
}

const ALLOWED_TAGS = new Set([
  'b',
  'strong',
  'i',
  'em',
  'u',
  'ins',
  's',
  'strike',
  'del',
  'span',
  'tg-spoiler',
  'a',
  'code',
  'pre',
  'blockquote',
  'tg-emoji',
]);

/**
 * Checks text the way Telegram's HTML parse mode does, as far as a test
 * needs: known tags only, properly nested and closed, `<` and `&` only as
 * tags and entities. Returns Telegram's error description, or null.
 */
export function checkTelegramHtml(html: string): string | null {
  const stack: string[] = [];
  const tokens = html.match(/<[^>]*>?|&[^;\s<&]*;?|[^<&]+/g) ?? [];
  let offset = 0;
  for (const token of tokens) {
    if (token.startsWith('<')) {
      const tag = /^<(\/?)([a-zA-Z][a-zA-Z0-9-]*)(\s[^>]*)?>$/.exec(token);
      if (tag === null) {
        return `Bad Request: can't parse entities: Unsupported start tag "${token.slice(1, 6)}" at byte offset ${offset}`;
      }
      const [, closing, rawName = ''] = tag;
      const name = rawName.toLowerCase();
      if (!ALLOWED_TAGS.has(name)) {
        return `Bad Request: can't parse entities: Unsupported start tag "${name}" at byte offset ${offset}`;
      }
      if (closing === '/') {
        if (stack.pop() !== name) {
          return `Bad Request: can't parse entities: Unexpected end tag at byte offset ${offset}`;
        }
      } else {
        stack.push(name);
      }
    } else if (token.startsWith('&')) {
      if (!/^&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);$/.test(token)) {
        return `Bad Request: can't parse entities: Character entity expected at byte offset ${offset}`;
      }
    }
    offset += Buffer.byteLength(token);
  }
  if (stack.length > 0) {
    return `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "${stack.at(-1)}"`;
  }
  return null;
}

/** What the user sees of an HTML text: tags gone, entities decoded. */
export function visibleText(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#(\d+);/g, (_m, c: string) => String.fromCodePoint(Number(c)))
    .replace(/&amp;/g, '&');
}

export class TelegramCapture {
  readonly calls: CapturedCall[] = [];
  private scripts: Script[] = [];
  private nextMessageId = 1000;

  /** The next `times` calls of `method` (to `chatId`, if given) fail. */
  failNext(
    method: string,
    failure: ScriptedFailure,
    options: { chatId?: number; times?: number } = {},
  ): void {
    for (let i = 0; i < (options.times ?? 1); i++) {
      this.scripts.push({ method, chatId: options.chatId, failure });
    }
  }

  /** For `new Bot(token, { client: capture.clientOptions() })`. */
  clientOptions(): ApiClientOptions {
    return {
      apiRoot: 'http://127.0.0.1:9',
      fetch: this.fetch,
    };
  }

  /** A fetch that answers like the Bot API, from memory. */
  readonly fetch = (url: string | URL, init?: { body?: unknown }) => {
    const method = String(url).split('/').at(-1) ?? '';
    const payload =
      typeof init?.body === 'string'
        ? (JSON.parse(init.body) as Record<string, unknown>)
        : {};
    const answer = this.answer(method, payload);
    if (answer === 'network') {
      return Promise.reject(new Error('socket hang up (scripted)'));
    }
    return Promise.resolve({ json: () => Promise.resolve(answer) });
  };

  /** The same answers as an API transformer (nothing goes below it). */
  readonly transformer: Transformer = (_prev, method, payload) => {
    const answer = this.answer(method, payload ?? {});
    if (answer === 'network') {
      return Promise.reject(new Error('socket hang up (scripted)'));
    }
    return Promise.resolve(answer) as never;
  };

  /** Calls of one method, in order. */
  callsOf(method: string): CapturedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Messages that reached the chat (sent and accepted), in order. */
  messages(chatId?: number): CapturedCall[] {
    return this.calls.filter(
      (c) =>
        c.method === 'sendMessage' &&
        c.accepted &&
        (chatId === undefined || Number(c.payload.chat_id) === chatId),
    );
  }

  /** The visible texts of {@link messages}. */
  texts(chatId?: number): string[] {
    return this.messages(chatId).map((c) =>
      c.payload.parse_mode === 'HTML'
        ? visibleText(String(c.payload.text))
        : String(c.payload.text),
    );
  }

  /** Waits until a call matches, or throws after `timeoutMs`. */
  async waitFor(
    predicate: (call: CapturedCall) => boolean,
    timeoutMs = 5000,
  ): Promise<CapturedCall> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.calls.find(predicate);
      if (found !== undefined) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `no matching Bot API call within ${timeoutMs} ms; saw: ${this.calls
            .map((c) => c.method)
            .join(', ')}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Waits for an accepted message whose visible text matches. */
  waitForText(pattern: RegExp, timeoutMs = 5000): Promise<CapturedCall> {
    return this.waitFor(
      (c) =>
        c.method === 'sendMessage' &&
        c.accepted &&
        pattern.test(visibleText(String(c.payload.text))),
      timeoutMs,
    );
  }

  private answer(
    method: string,
    payload: Record<string, unknown>,
  ): TelegramFailure | { ok: true; result: unknown } | 'network' {
    const call: CapturedCall = {
      method,
      payload,
      at: Date.now(),
      accepted: false,
    };
    this.calls.push(call);

    const chatId =
      payload.chat_id !== undefined ? Number(payload.chat_id) : undefined;
    const index = this.scripts.findIndex(
      (s) =>
        s.method === method && (s.chatId === undefined || s.chatId === chatId),
    );
    if (index >= 0) {
      const [script] = this.scripts.splice(index, 1);
      return script!.failure;
    }

    if (method === 'sendMessage' || method === 'editMessageText') {
      const text = typeof payload.text === 'string' ? payload.text : '';
      const html = payload.parse_mode === 'HTML';
      const problem = html ? checkTelegramHtml(text) : null;
      if (problem !== null) {
        return { ok: false, error_code: 400, description: problem };
      }
      const visible = html ? visibleText(text) : text;
      if (visible.trim() === '') {
        return {
          ok: false,
          error_code: 400,
          description: 'Bad Request: message text is empty',
        };
      }
      if (visible.length > 4096) {
        return {
          ok: false,
          error_code: 400,
          description: 'Bad Request: message is too long',
        };
      }
      call.accepted = true;
      const messageId =
        method === 'sendMessage'
          ? this.nextMessageId++
          : Number(payload.message_id);
      return {
        ok: true,
        result: {
          message_id: messageId,
          date: Math.floor(Date.now() / 1000),
          chat: {
            id: chatId,
            type: chatId !== undefined && chatId < 0 ? 'supergroup' : 'private',
          },
          ...(payload.message_thread_id !== undefined
            ? { message_thread_id: payload.message_thread_id }
            : {}),
          text: visible,
        },
      };
    }
    call.accepted = true;
    return { ok: true, result: true };
  }
}
