import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Update } from 'grammy/types';

/**
 * A Telegram Bot API stand-in on loopback: enough of `getMe`,
 * `getUpdates`, `sendMessage`, `editMessageText`, `answerCallbackQuery`
 * and friends for the real bot (runner, throttler, auto-retry) to run
 * against it. Every call is journaled; errors can be scripted per method.
 */

export interface ApiCall {
  method: string;
  payload: Record<string, unknown>;
  at: number;
}

export interface ScriptedError {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number };
  /** Only for calls whose chat_id matches. */
  chatId?: number;
}

export const FAKE_BOT = {
  id: 7_000_001,
  is_bot: true,
  first_name: 'mStock test bot',
  username: 'our_trader_bot',
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
};

export class FakeBotApi {
  readonly calls: ApiCall[] = [];
  private pending: Update[] = [];
  private waiters: (() => void)[] = [];
  private errors = new Map<string, ScriptedError[]>();
  private nextMessageId = 100;
  private nextUpdateId = 1;
  private server = createServer((req, res) => {
    this.handle(req, res).catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });

  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) =>
      this.server.listen(0, '127.0.0.1', resolve),
    );
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const wake of this.waiters.splice(0)) wake();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Queues an update for the next getUpdates; update_id is renumbered. */
  push(update: Omit<Update, 'update_id'> & { update_id?: number }): number {
    const id = this.nextUpdateId++;
    this.pending.push({ ...update, update_id: id });
    for (const wake of this.waiters.splice(0)) wake();
    return id;
  }

  /** The next `times` calls of `method` fail with `error`. */
  failNext(method: string, error: ScriptedError, times = 1): void {
    const list = this.errors.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(error);
    this.errors.set(method, list);
  }

  sent(chatId?: number): ApiCall[] {
    return this.calls.filter(
      (c) =>
        (c.method === 'sendMessage' || c.method === 'editMessageText') &&
        (chatId === undefined || Number(c.payload.chat_id) === chatId),
    );
  }

  /** Waits until a call matches, or throws after `timeoutMs`. */
  async waitFor(
    predicate: (call: ApiCall) => boolean,
    timeoutMs = 10_000,
    from = 0,
  ): Promise<ApiCall> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.calls.slice(from).find(predicate);
      if (found) return found;
      if (Date.now() > deadline) {
        const seen = this.calls
          .slice(from)
          .map((c) => `${c.method} ${JSON.stringify(c.payload).slice(0, 300)}`)
          .join('\n');
        throw new Error(
          `no matching Bot API call within ${timeoutMs} ms; saw:\n${seen}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Waits for a message whose text matches, to `chatId` when given. */
  waitForText(
    pattern: RegExp,
    options: { chatId?: number; timeoutMs?: number; from?: number } = {},
  ): Promise<ApiCall> {
    return this.waitFor(
      (c) =>
        (c.method === 'sendMessage' || c.method === 'editMessageText') &&
        (options.chatId === undefined ||
          Number(c.payload.chat_id) === options.chatId) &&
        pattern.test(String(c.payload.text)),
      options.timeoutMs,
      options.from,
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url ?? '');
    if (!match) {
      return send(res, 404, {
        ok: false,
        error_code: 404,
        description: 'Not Found',
      });
    }
    const method = match[2]!;
    const payload = await readPayload(req);
    this.calls.push({ method, payload, at: Date.now() });

    const scripted = this.takeError(method, payload);
    if (scripted) {
      const { chatId: _ignored, ...error } = scripted;
      return send(res, error.error_code, { ok: false, ...error });
    }

    switch (method) {
      case 'getMe':
        return send(res, 200, { ok: true, result: FAKE_BOT });
      case 'getUpdates':
        return send(res, 200, {
          ok: true,
          result: await this.updates(payload),
        });
      case 'sendMessage':
      case 'editMessageText':
        return send(res, 200, {
          ok: true,
          result: {
            message_id:
              method === 'sendMessage'
                ? this.nextMessageId++
                : Number(payload.message_id),
            date: Math.floor(Date.now() / 1000),
            chat: { id: Number(payload.chat_id), type: 'private' },
            text: String(payload.text),
          },
        });
      default:
        // deleteWebhook, setMyCommands, answerCallbackQuery, …
        return send(res, 200, { ok: true, result: true });
    }
  }

  private takeError(method: string, payload: Record<string, unknown>) {
    const list = this.errors.get(method);
    if (!list) return undefined;
    const index = list.findIndex(
      (e) => e.chatId === undefined || e.chatId === Number(payload.chat_id),
    );
    if (index < 0) return undefined;
    return list.splice(index, 1)[0];
  }

  private async updates(payload: Record<string, unknown>): Promise<Update[]> {
    const offset = Number(payload.offset ?? 0);
    this.pending = this.pending.filter((u) => u.update_id >= offset);
    if (this.pending.length === 0) {
      // Hold the long poll briefly, as Telegram does, but never long:
      // tests must be able to close the server.
      const holdMs = Math.min(Number(payload.timeout ?? 0) * 1000, 500);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, holdMs);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const limit = Number(payload.limit ?? 100);
    return this.pending.slice(0, limit);
  }
}

async function readPayload(
  req: IncomingMessage,
): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return {};
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { raw: text };
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
