import { randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import { createGuardrails, verifySync } from 'otplib';
import type { MstockCredentials } from '../../src/config.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import {
  createMstockClient,
  type BrokerStatusChange,
  type MstockClientOptions,
} from '../../src/mstock/client.ts';
import type { BrokerClient } from '../../src/mstock/types.ts';
import { connectRedis, deleteKeys, uniquePrefix } from './redis.ts';

/**
 * A small stand-in for mStock Type A on 127.0.0.1, for the client's tests:
 * a route table of scripted replies, a journal of what arrived, real TOTP
 * checking with replay refusal, and tokens that can be expired at will.
 * The full simulator lives in src/simulator; this one stays minimal so
 * each test states exactly what the broker does.
 */

export interface JournalEntry {
  method: string;
  /** Relative to `/openapi/typea/`, e.g. `orders/regular`. */
  path: string;
  /** The query string exactly as received, without `?`. */
  rawQuery: string;
  query: [string, string][];
  /** Lower-case names. */
  headers: Record<string, string>;
  rawBody: string;
  form: Record<string, string>;
  /** Real epoch ms at arrival. */
  at: number;
}

export interface Scripted {
  status?: number;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is (HTML pages, garbage). */
  raw?: string;
  /** `hang`: never answer; `reset`: drop the socket; `empty`: no body. */
  action?: 'hang' | 'reset' | 'empty';
  delayMs?: number;
  /** Runs before the reply, e.g. to record an order that then "hangs". */
  effect?: (request: JournalEntry) => void;
}

export type Handler = (request: JournalEntry) => Scripted;

export interface FakeBrokerOptions {
  credentials: MstockCredentials;
  /** The broker's clock: TOTP checks and the `Date` header. */
  now?: () => number;
  /** False: verifytotp answers without a token (session/token needed). */
  verifyTotpReturnsToken?: boolean;
}

export interface FakeBroker {
  baseUrl: string;
  journal: JournalEntry[];
  /** Journal entries for `METHOD path`, e.g. `GET orders`. */
  calls(route: string): JournalEntry[];
  /** One-shot replies, used in order before the route's handler. */
  script(route: string, ...replies: Scripted[]): void;
  /** The standing reply of a protected route (after the token check). */
  handle(route: string, handler: Handler | Scripted): void;
  /** Every token issued so far stops working. */
  expireTokens(): void;
  /** Tokens issued, oldest first. */
  readonly issuedTokens: readonly string[];
  close(): Promise<void>;
}

const ROOT = '/openapi/typea/';

export const ERRORS = {
  token: {
    status: 'error',
    message: 'Invalid request. Please try again.',
    error_type: 'TokenException',
    data: null,
  },
  totp: {
    status: 'error',
    message: 'Please enter correct TOTP',
    error_type: 'MiraeException',
    data: null,
  },
  login: {
    status: 'error',
    message: 'Invalid username or password (MACM1)',
    error_type: 'MiraeException',
    data: null,
  },
  apiKey: {
    status: 'error',
    message:
      'API is suspended/expired for use. Please check your API subscription and try again.',
    error_type: 'APIKeyException',
    data: null,
  },
};

export function ok(data: unknown): Scripted {
  return { body: { status: 'success', data } };
}

/** A bot-protection page like the one in FR-04, about 2 KB. */
export function htmlPage(): string {
  const filler =
    '<p>Checking your browser before accessing the site.</p>'.repeat(30);
  return `<!DOCTYPE html><html><head><title>502 Bad Gateway</title><script src="https://cdn.example.invalid/challenge.js"></script><script>window.__cf = { token: "abc" };</script></head><body><h1>502 Bad Gateway</h1>${filler}</body></html>`;
}

export async function startFakeBroker(
  options: FakeBrokerOptions,
): Promise<FakeBroker> {
  const now = options.now ?? Date.now;
  const creds = options.credentials;
  const journal: JournalEntry[] = [];
  const scripts = new Map<string, Scripted[]>();
  const handlers = new Map<string, Handler>();
  const tokens = new Set<string>();
  const issued: string[] = [];
  const usedSteps = new Set<number>();
  /** Codes verifytotp accepted without issuing a token (session/token). */
  const pendingCodes = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();

  const issue = (): Scripted => {
    const token = `eyJ.${randomBytes(12).toString('hex')}`;
    tokens.add(token);
    issued.push(token);
    return ok({ user_id: '538', access_token: token, exchanges: ['NSE'] });
  };

  const checkTotp = (code: string): boolean => {
    if (!/^\d{6}$/.test(code)) return false;
    const result = verifySync({
      secret: creds.totpSecret,
      token: code,
      epoch: Math.floor(now() / 1000),
      epochTolerance: 30,
      guardrails: createGuardrails({ MIN_SECRET_BYTES: 10 }),
    });
    if (!result.valid || !('timeStep' in result)) return false;
    // RFC 6238 §5.2: a step's code is accepted once.
    if (usedSteps.has(result.timeStep)) return false;
    usedSteps.add(result.timeStep);
    return true;
  };

  const builtIn = (req: JournalEntry): Scripted | undefined => {
    const route = `${req.method} ${req.path}`;
    const form = req.form;
    if (route === 'POST connect/login') {
      const user = form.username ?? form.Username;
      const pass = form.password ?? form.Password;
      return user === creds.username && pass === creds.password
        ? ok({ ugid: 'u-1', is_kyc: true, is_error: false, cid: user })
        : { status: 500, body: ERRORS.login };
    }
    if (route === 'POST session/verifytotp') {
      if (form.api_key !== creds.apiKey) {
        return { status: 403, body: ERRORS.apiKey };
      }
      const code = form.totp ?? '';
      if (!checkTotp(code)) return { status: 400, body: ERRORS.totp };
      if (options.verifyTotpReturnsToken === false) {
        pendingCodes.add(code);
        return ok({ user_id: '538', exchanges: ['NSE'] });
      }
      return issue();
    }
    if (route === 'POST session/token') {
      if (form.api_key !== creds.apiKey) {
        return { status: 403, body: ERRORS.apiKey };
      }
      const code = form.request_token ?? '';
      if (!pendingCodes.delete(code) || form.checksum === undefined) {
        return { status: 400, body: ERRORS.totp };
      }
      return issue();
    }
    return undefined;
  };

  const authorised = (req: JournalEntry): boolean => {
    const header = req.headers.authorization ?? '';
    const prefix = `token ${creds.apiKey}:`;
    return header.startsWith(prefix) && tokens.has(header.slice(prefix.length));
  };

  const routeKey = (req: JournalEntry, table: Map<string, unknown>) => {
    const exact = `${req.method} ${req.path}`;
    if (table.has(exact)) return exact;
    const generic = exact.replace(/\/[^/]+$/, '/{id}');
    return table.has(generic) ? generic : exact;
  };

  const decide = (req: JournalEntry): Scripted => {
    const scripted = scripts.get(routeKey(req, scripts))?.shift();
    if (scripted !== undefined) return scripted;
    const auth = builtIn(req);
    if (auth !== undefined) return auth;
    if (!authorised(req)) return { status: 401, body: ERRORS.token };
    const handler = handlers.get(routeKey(req, handlers));
    if (handler !== undefined) return handler(req);
    return {
      status: 404,
      body: {
        status: 'error',
        message: 'Not found',
        error_type: 'GeneralException',
      },
    };
  };

  const respond = (res: ServerResponse, reply: Scripted): void => {
    if (reply.action === 'hang') return;
    if (reply.action === 'reset') {
      res.socket?.destroy();
      return;
    }
    const headers: Record<string, string> = {
      date: new Date(now()).toUTCString(),
      ...reply.headers,
    };
    if (reply.action === 'empty') {
      res.writeHead(reply.status ?? 200, headers);
      res.end();
      return;
    }
    if (reply.raw !== undefined) {
      res.writeHead(reply.status ?? 200, {
        'content-type': 'text/html; charset=utf-8',
        ...headers,
      });
      res.end(reply.raw);
      return;
    }
    res.writeHead(reply.status ?? 200, {
      'content-type': 'application/json',
      ...headers,
    });
    res.end(JSON.stringify(reply.body ?? null));
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (typeof v === 'string') headers[k.toLowerCase()] = v;
      }
      const entry: JournalEntry = {
        method: req.method ?? 'GET',
        path: url.pathname.startsWith(ROOT)
          ? decodeURIComponent(url.pathname.slice(ROOT.length))
          : url.pathname,
        rawQuery: url.search.replace(/^\?/, ''),
        query: [...url.searchParams.entries()],
        headers,
        rawBody,
        form: Object.fromEntries(new URLSearchParams(rawBody)),
        at: Date.now(),
      };
      journal.push(entry);
      const reply = decide(entry);
      reply.effect?.(entry);
      if (reply.delayMs !== undefined && reply.delayMs > 0) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          respond(res, reply);
        }, reply.delayMs);
        timers.add(timer);
      } else {
        respond(res, reply);
      }
    });
  };

  const server = createServer(onRequest);
  await new Promise<void>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve()),
  );
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/openapi/typea`,
    journal,
    calls: (route) => journal.filter((e) => `${e.method} ${e.path}` === route),
    script: (route, ...replies) => {
      scripts.set(route, [...(scripts.get(route) ?? []), ...replies]);
    },
    handle: (route, handler) => {
      handlers.set(
        route,
        typeof handler === 'function' ? handler : () => handler,
      );
    },
    expireTokens: () => tokens.clear(),
    get issuedTokens() {
      return issued;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// --- Clock and log helpers for the client's tests --------------------------

export interface TestClock {
  now: () => number;
  /** Moves the clock instead of waiting, then yields once. */
  sleep: (ms: number) => Promise<void>;
  advance: (ms: number) => void;
  /** Total of every sleep asked for. */
  slept: () => number;
}

export function createTestClock(start: number): TestClock {
  let t = start;
  let slept = 0;
  return {
    now: () => t,
    sleep: async (ms) => {
      t += Math.max(0, ms);
      slept += Math.max(0, ms);
      await new Promise((resolve) => setImmediate(resolve));
    },
    advance: (ms) => {
      t += ms;
    },
    slept: () => slept,
  };
}

/** A pino logger at `trace` whose lines land in `lines`. */
export function collectLogs(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger('trace', sink), lines };
}

/** Credentials whose api key needs escaping in a form (`/`, `+`, `@`). */
export function testCredentials(): MstockCredentials {
  return {
    apiKey: 'ay3K/He+Kf@EJgo@@',
    username: 'MA12345',
    password: 'p&ss w0rd=1',
    // RFC 6238's SHA-1 secret, "12345678901234567890" in Base32.
    totpSecret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
  };
}

// --- A client wired to a fake broker ----------------------------------------

export interface ClientRig {
  client: BrokerClient;
  broker: FakeBroker;
  redis: Redis;
  prefix: string;
  clock: TestClock;
  lines: string[];
  statuses: BrokerStatusChange[];
  /** A second client on the same Redis prefix: another worker process. */
  twin(overrides?: Partial<MstockClientOptions>): BrokerClient;
  /** Log lines that contain a credential or an issued token. */
  leakedSecrets(): string[];
  close(): Promise<void>;
}

/** A secret as is, percent-encoded and form-encoded, either hex case. */
function encodings(secret: string): string[] {
  const url = encodeURIComponent(secret);
  const form = new URLSearchParams({ s: secret }).toString().slice(2);
  return [secret, url, url.toLowerCase(), form, form.toLowerCase()];
}

/** No rate limits: tests that do not test the limiter stay fast. */
export const NO_RATE_LIMITS = { order: [], quote: [], data: [], auth: [] };

/**
 * 10 s into a TOTP step, 09:30 IST on a weekday: far from the daily
 * cutoff, and a second login in the same step must wait for the next.
 */
export const RIG_START = Date.UTC(2025, 1, 6, 4, 0, 10);

export async function startClientRig(
  options: {
    client?: Partial<MstockClientOptions>;
    broker?: Partial<FakeBrokerOptions>;
  } = {},
): Promise<ClientRig> {
  const credentials = testCredentials();
  const clock = createTestClock(RIG_START);
  const broker = await startFakeBroker({
    credentials,
    now: clock.now,
    ...options.broker,
  });
  const redis = connectRedis();
  const prefix = uniquePrefix('mstock');
  const { logger, lines } = collectLogs();
  const statuses: BrokerStatusChange[] = [];
  const clients: BrokerClient[] = [];
  const make = (overrides: Partial<MstockClientOptions> = {}) => {
    const client = createMstockClient({
      baseUrl: broker.baseUrl,
      credentials,
      redis,
      prefix,
      logger,
      now: clock.now,
      sleep: clock.sleep,
      rateLimits: NO_RATE_LIMITS,
      timeoutMs: 1_000,
      probeIntervalMs: 50,
      ...options.client,
      ...overrides,
    });
    clients.push(client);
    return client;
  };
  const client = make({
    onStatusChange: (s) => statuses.push(s),
    ...options.client,
  });
  return {
    client,
    broker,
    redis,
    prefix,
    clock,
    lines,
    statuses,
    twin: (overrides) => make(overrides),
    leakedSecrets: () => {
      const secrets = [
        credentials.apiKey,
        credentials.password,
        credentials.totpSecret,
        ...broker.issuedTokens,
      ].flatMap(encodings);
      return lines.filter((line) => secrets.some((s) => line.includes(s)));
    },
    close: async () => {
      for (const c of clients) await c.close();
      await broker.close();
      await deleteKeys(redis, prefix);
      await redis.quit();
    },
  };
}
