import type { Logger } from '../logger.ts';
import {
  classifyReply,
  cleanBrokerText,
  type EndpointKind,
} from './classify-reply.ts';
import { BrokerError } from './errors.ts';

/**
 * One HTTP exchange with the Type A API, on Node's fetch. Every call sends
 * `X-Mirae-Version: 1`; authenticated calls send
 * `Authorization: token <api_key>:<access_token>`; writes are
 * form-encoded. No retries here: the client decides, per call path.
 */

export interface MstockRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Relative to the base URL, e.g. `orders/regular`. */
  path: string;
  /** Repeated keys allowed: `[['i', 'NSE:M&M'], ['i', 'NSE:INFY']]`. */
  query?: [string, string][];
  form?: Record<string, string>;
  /**
   * Builds the form at the last moment, after the rate limiter has let
   * the request through: a TOTP code must be fresh when it leaves.
   */
  prepareForm?: () => Promise<Record<string, string>>;
  kind: EndpointKind;
  auth?: { apiKey: string; accessToken: string };
  /**
   * Path for logs and errors when the real one holds an id, e.g.
   * `orders/regular/{id}`.
   */
  pathLabel?: string;
}

export interface MstockReply {
  data: unknown;
  status: number;
}

export interface MstockHttpOptions {
  baseUrl: string;
  logger: Logger;
  timeoutMs: number;
  now: () => number;
  /** Texts never to quote in errors or logs; read at each call. */
  secrets: () => readonly string[];
  fetch?: typeof fetch;
}

/** Bytes of an unreadable body worth a log line (FR-04). */
const LOGGED_BODY_CHARS = 200;

/** Connection errors that prove the request never left this machine. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_INVALID_URL',
]);

const neverSent = new WeakSet<Error>();

/**
 * True when the request cannot have reached the broker (refused
 * connection, unknown host, offline fail-fast, closed client): an order
 * may then be reported as not placed instead of "unknown".
 */
export function neverReachedBroker(error: unknown): boolean {
  return error instanceof Error && neverSent.has(error);
}

/** Marks an error raised before anything was sent. */
export function markNeverSent<E extends Error>(error: E): E {
  neverSent.add(error);
  return error;
}

export class MstockHttp {
  /** The broker's `Date` header, last seen: for the TOTP skew hint. */
  lastServerDate: number | null = null;
  private readonly closing = new AbortController();
  private readonly fetch: typeof fetch;
  private readonly baseUrl: string;

  constructor(private readonly options: MstockHttpOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /** Aborts requests in flight; later calls fail at once. */
  close(): void {
    this.closing.abort();
  }

  async send(request: MstockRequest): Promise<MstockReply> {
    const endpoint = `${request.method} ${request.pathLabel ?? request.path}`;
    const log = this.options.logger.child({ endpoint });
    if (this.closing.signal.aborted) {
      throw markNeverSent(
        new BrokerError('unavailable', 'The mStock client is shut down.', {
          endpoint,
        }),
      );
    }

    const form = request.prepareForm
      ? await request.prepareForm()
      : request.form;
    const { url, init } = this.build({ ...request, form });
    const started = this.options.now();
    let response: Response;
    let body: string;
    try {
      response = await this.fetch(url, init);
      body = await response.text();
    } catch (cause) {
      const error = this.networkError(cause, endpoint);
      log.warn(
        { err_kind: error.kind, reason: error.message },
        'mstock request failed',
      );
      throw error;
    }

    const serverDate = Date.parse(response.headers.get('date') ?? '');
    if (!Number.isNaN(serverDate)) this.lastServerDate = serverDate;
    const ms = this.options.now() - started;
    const result = classifyReply(
      {
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        body,
      },
      {
        endpoint,
        kind: request.kind,
        secrets: this.options.secrets(),
        now: this.options.now(),
      },
    );
    if (result.ok) {
      log.debug({ status: response.status, ms }, 'mstock reply');
      return { data: result.data, status: response.status };
    }
    log.warn(
      {
        status: response.status,
        ms,
        err_kind: result.error.kind,
        broker_type: result.error.brokerType,
        // The whole body is cleaned: a slice could cut a secret in two
        // and leave its first half unmasked.
        body_start: cleanBrokerText(body, this.options.secrets()).slice(
          0,
          LOGGED_BODY_CHARS,
        ),
      },
      'mstock error reply',
    );
    throw result.error;
  }

  private build(request: MstockRequest): { url: string; init: RequestInit } {
    const query =
      request.query !== undefined && request.query.length > 0
        ? `?${new URLSearchParams(request.query).toString()}`
        : '';
    const url = `${this.baseUrl}/${request.path}${query}`;
    const headers: Record<string, string> = {
      'X-Mirae-Version': '1',
      Accept: 'application/json',
    };
    if (request.auth !== undefined) {
      headers.Authorization = `token ${request.auth.apiKey}:${request.auth.accessToken}`;
    }
    let body: string | undefined;
    if (request.form !== undefined) {
      // URLSearchParams escapes `&` in M&M and `/`, `+`, `@` in api keys.
      body = new URLSearchParams(request.form).toString();
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    const signal = AbortSignal.any([
      this.closing.signal,
      AbortSignal.timeout(this.options.timeoutMs),
    ]);
    // Redirects are not followed: a 3xx would carry our headers elsewhere.
    return {
      url,
      init: {
        method: request.method,
        headers,
        body,
        signal,
        redirect: 'manual',
      },
    };
  }

  private networkError(cause: unknown, endpoint: string): BrokerError {
    const name = cause instanceof Error ? cause.name : '';
    if (name === 'TimeoutError') {
      return new BrokerError(
        'unavailable',
        `mStock did not answer within ${Math.round(this.options.timeoutMs / 1000)} s; try again in a minute.`,
        { endpoint, cause },
      );
    }
    if (name === 'AbortError') {
      return new BrokerError('unavailable', 'The mStock client is shut down.', {
        endpoint,
        cause,
      });
    }
    const code = errorCode(cause);
    const error = new BrokerError(
      'unavailable',
      code === 'ECONNRESET' || code === 'UND_ERR_SOCKET'
        ? 'The connection to mStock broke before an answer came; try again in a minute.'
        : 'Could not reach mStock; check the network, then try again.',
      { endpoint, cause },
    );
    return code !== undefined && NOT_SENT_CODES.has(code)
      ? markNeverSent(error)
      : error;
  }
}

/** undici wraps the socket error: `TypeError('fetch failed', {cause})`. */
function errorCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e !== undefined && depth < 4; depth++) {
    if (typeof e !== 'object' || e === null) return undefined;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
