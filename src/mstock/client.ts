import type { Redis } from 'ioredis';
import type { z } from 'zod';
import type { MstockCredentials } from '../config.ts';
import type { Logger } from '../logger.ts';
import { backoffDelay } from './backoff.ts';
import { BrokerError, OrderOutcomeUnknownError } from './errors.ts';
import {
  markNeverSent,
  MstockHttp,
  neverReachedBroker,
  type MstockReply,
  type MstockRequest,
} from './http.ts';
import { OfflineDetector } from './offline.ts';
import {
  RateLimiter,
  type RateCategory,
  type RateLimits,
} from './rate-limiter.ts';
import {
  cancelReplySchema,
  fundsSchema,
  holdingsSchema,
  instrumentKey,
  ordersSchema,
  parseData,
  placeOrderReplySchema,
  positionsSchema,
  quotesDataSchema,
  toLastPrices,
  toQuotes,
  tradeBookSchema,
  type QuotePriceUnit,
  type QuotesData,
  type ReadRows,
} from './schemas.ts';
import { RedisSessionStore, type SessionStore } from './session-store.ts';
import { MstockSession } from './session.ts';
import type {
  BrokerClient,
  BrokerList,
  Funds,
  Holding,
  InstrumentRef,
  Order,
  PlaceOrderOptions,
  PlaceOrderRequest,
  Position,
  Quote,
  ReadOptions,
  SessionInfo,
  Trade,
} from './types.ts';

/**
 * The mStock Type A client the workers use. It owns the retry policy:
 * reads retry by themselves (relogin once on an expired token, back off on
 * 5xx/429); an order is sent once, again only when the broker refused it
 * for an expired token before acting, and any answer that leaves its fate
 * open becomes {@link OrderOutcomeUnknownError} for the caller to
 * reconcile. Jobs do not retry broker calls on top of this.
 */

export interface BrokerStatusChange {
  online: boolean;
  loggedIn: boolean;
  sessionExpiresAt: number | null;
  /** Chat-safe text of the last failure; null once the broker answers. */
  lastError: string | null;
}

export interface MstockClientOptions {
  /** Type A root, e.g. `https://api.mstock.trade/openapi/typea`. */
  baseUrl: string;
  credentials: MstockCredentials;
  /** Shared session, login lock and rate limiter live here. */
  redis: Redis;
  /** Key prefix (QUEUE_PREFIX); keys are `${prefix}:session`, … */
  prefix: string;
  logger: Logger;
  now?: () => number;
  /** Per request, default {@link DEFAULT_REQUEST_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** REST quote prices: rupees (default) or paise. */
  quotePriceUnit?: QuotePriceUnit;
  rateLimits?: Partial<RateLimits>;
  /** Longest wait for a rate-limit slot before failing; default 15 s. */
  rateLimitMaxWaitMs?: number;
  /** Default 3. */
  offlineAfterFailures?: number;
  /** Default 5000. */
  probeIntervalMs?: number;
  /** Retries of a read after 5xx/429/timeouts; default 3. */
  readRetries?: number;
  onStatusChange?: (status: BrokerStatusChange) => void;
  /** Waits for backoff and TOTP steps; tests pair it with `now`. */
  sleep?: (ms: number) => Promise<void>;
  /** Default: in Redis under `${prefix}:session`. */
  sessionStore?: SessionStore;
}

/** How long one request may take before it is abandoned; ms. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export function createMstockClient(options: MstockClientOptions): BrokerClient {
  return new MstockClient(options);
}

interface CallOptions {
  retries: number;
  probe?: boolean;
  /** Longest wait for the rate limiter; 0 = fail at once. */
  maxWaitMs?: number;
}

class MstockClient implements BrokerClient {
  private readonly http: MstockHttp;
  private readonly brokerSession: MstockSession;
  private readonly limiter: RateLimiter;
  private readonly offline: OfflineDetector;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly readRetries: number;
  private lastError: string | null = null;
  private loginRefused = false;
  private emitted: {
    online: boolean;
    loggedIn: boolean;
    expiresAt: number | null;
    refused: boolean;
  } = { online: true, loggedIn: false, expiresAt: null, refused: false };
  private closed = false;
  readonly requestTimeoutMs: number;

  constructor(private readonly options: MstockClientOptions) {
    this.requestTimeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.log = options.logger;
    this.now = options.now ?? Date.now;
    this.sleep =
      options.sleep ??
      ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.readRetries = options.readRetries ?? 3;

    this.http = new MstockHttp({
      baseUrl: options.baseUrl,
      logger: this.log,
      timeoutMs: this.requestTimeoutMs,
      now: this.now,
      secrets: () => this.brokerSession.secrets(),
    });
    this.limiter = new RateLimiter({
      redis: options.redis,
      prefix: options.prefix,
      limits: options.rateLimits,
      maxWaitMs: options.rateLimitMaxWaitMs,
    });
    this.offline = new OfflineDetector({
      threshold: options.offlineAfterFailures,
      probeIntervalMs: options.probeIntervalMs,
      probe: () => this.probe(),
      onChange: () => this.emitStatus(),
      logger: this.log,
    });
    this.brokerSession = new MstockSession({
      credentials: options.credentials,
      store:
        options.sessionStore ??
        new RedisSessionStore(options.redis, options.prefix, this.now),
      transport: (request, category, { probe }) =>
        this.exchange(request, category, { probe }),
      serverDate: () => this.http.lastServerDate,
      logger: this.log,
      now: this.now,
      sleep: this.sleep,
      onChange: () => this.emitStatus(),
    });
  }

  // --- Reads ---------------------------------------------------------------

  async quotes(instruments: InstrumentRef[]): Promise<Quote[]> {
    if (instruments.length === 0) return [];
    const data = await this.quoteData('instruments/quote/ohlc', instruments);
    return toQuotes(data, instruments, this.options.quotePriceUnit);
  }

  async ltp(instruments: InstrumentRef[]): Promise<Quote[]> {
    if (instruments.length === 0) return [];
    const data = await this.quoteData('instruments/quote/ltp', instruments);
    return toLastPrices(data, instruments, this.options.quotePriceUnit);
  }

  funds(): Promise<Funds> {
    return this.read('user/fundsummary', fundsSchema);
  }

  async holdings(): Promise<BrokerList<Holding>> {
    const read = await this.read('portfolio/holdings', holdingsSchema);
    return this.keepReadable('GET portfolio/holdings', read);
  }

  async positions(): Promise<BrokerList<Position>> {
    const read = await this.read('portfolio/positions', positionsSchema);
    return this.keepReadable('GET portfolio/positions', read);
  }

  async orders(options: ReadOptions = {}): Promise<BrokerList<Order>> {
    const read = await this.read('orders', ordersSchema, options);
    return this.keepReadable('GET orders', read);
  }

  async tradeBook(): Promise<BrokerList<Trade>> {
    const read = await this.read('tradebook', tradeBookSchema);
    return this.keepReadable('GET tradebook', read);
  }

  // --- Writes --------------------------------------------------------------

  async placeOrder(
    request: PlaceOrderRequest,
    options: PlaceOrderOptions = {},
  ): Promise<{ orderId: string }> {
    const endpoint = 'POST orders/regular';
    const log = this.log.child({ order_tag: request.tag });
    const form = orderForm(request, endpoint);
    let relogged = false;
    for (;;) {
      let token: string | undefined;
      let sent = false;
      try {
        token = await this.brokerSession.accessToken();
        const reply = await this.exchange(
          {
            method: 'POST',
            path: 'orders/regular',
            kind: 'order',
            form,
            auth: {
              apiKey: this.options.credentials.apiKey,
              accessToken: token,
            },
          },
          'order',
          {
            probe: false,
            beforeSend: options.beforeSend,
            onSend: () => (sent = true),
          },
        );
        const { orderId } = this.parseOrderReply(reply, request.tag, log);
        log.info({ order_id: orderId }, 'mstock order received');
        return { orderId };
      } catch (err) {
        if (err instanceof OrderOutcomeUnknownError) throw err;
        if (!sent || neverReachedBroker(err)) throw err;
        if (!(err instanceof BrokerError)) {
          throw new OrderOutcomeUnknownError(request.tag, { cause: err });
        }
        if (err.kind === 'token' && !relogged && token !== undefined) {
          // The broker refused before acting: sending again is safe.
          relogged = true;
          log.info('mstock order refused for an expired token; relogging');
          await this.brokerSession.invalidate(token);
          continue;
        }
        if (err.kind === 'unavailable' || err.kind === 'protocol') {
          log.error(
            { err_kind: err.kind, status: err.status },
            'mstock order outcome unknown',
          );
          throw new OrderOutcomeUnknownError(request.tag, { cause: err });
        }
        throw err;
      }
    }
  }

  async cancelOrder(orderId: string): Promise<void> {
    await this.call(
      {
        method: 'DELETE',
        path: `orders/regular/${encodeURIComponent(orderId)}`,
        pathLabel: 'orders/regular/{id}',
        kind: 'order',
      },
      'order',
      cancelReplySchema,
      // Cancelling twice is harmless (the second says "does not exist").
      { retries: 1 },
    );
    this.log.info({ order_id: orderId }, 'mstock cancel sent');
  }

  async cancelAll(): Promise<void> {
    await this.call(
      // No fields: the broker cancels every open order of the session.
      { method: 'POST', path: 'orders/cancelall', kind: 'order', form: {} },
      'order',
      cancelReplySchema,
      // Repeating it is harmless: the second finds nothing open.
      { retries: 1 },
    );
    this.log.info('mstock cancel-all sent');
  }

  session(): SessionInfo {
    const { loggedIn, expiresAt } = this.brokerSession.snapshot();
    return { loggedIn, expiresAt, online: this.offline.online };
  }

  close(): Promise<void> {
    this.closed = true;
    this.offline.close();
    this.http.close();
    return Promise.resolve();
  }

  // --- Plumbing ------------------------------------------------------------

  /** `instruments/quote/{ohlc,ltp}` for each distinct instrument. */
  private quoteData(
    path: string,
    instruments: InstrumentRef[],
  ): Promise<QuotesData> {
    const keys = [...new Set(instruments.map(instrumentKey))];
    return this.call(
      {
        method: 'GET',
        path,
        // One `i` per instrument; URLSearchParams sends M&M as M%26M.
        query: keys.map((key): [string, string] => ['i', key]),
        kind: 'read',
      },
      'quote',
      quotesDataSchema,
      { retries: this.readRetries },
    );
  }

  /** The rows that fit; the others are logged (never their values). */
  private keepReadable<T>(
    endpoint: string,
    { rows, misfits }: ReadRows<T>,
  ): BrokerList<T> {
    const [first] = misfits;
    if (first === undefined) return rows;
    this.log.warn(
      {
        endpoint,
        unreadable_rows: misfits.length,
        rows: rows.length + misfits.length,
        first_row: first.index,
        first_issues: first.issues,
      },
      'mstock rows skipped',
    );
    return Object.assign(rows, { unreadableRows: misfits.length });
  }

  private read<T extends z.ZodType>(
    path: string,
    schema: T,
    options: ReadOptions = {},
  ): Promise<z.output<T>> {
    const background = options.background === true;
    return this.call({ method: 'GET', path, kind: 'read' }, 'data', schema, {
      retries: background ? 0 : this.readRetries,
      ...(background ? { maxWaitMs: 0 } : {}),
    });
  }

  /**
   * An authenticated call that is safe to repeat: one relogin and replay
   * on an expired token, and up to `retries` backed-off retries on
   * 'unavailable' and 'rate-limited'. Stops retrying once offline.
   */
  private async call<T extends z.ZodType>(
    request: MstockRequest,
    category: RateCategory,
    schema: T,
    options: CallOptions,
  ): Promise<z.output<T>> {
    const endpoint = `${request.method} ${request.pathLabel ?? request.path}`;
    const probe = options.probe ?? false;
    let relogged = false;
    for (let retry = 0; ;) {
      let token: string | undefined;
      try {
        token = await this.brokerSession.accessToken({ probe });
        const reply = await this.exchange(
          {
            ...request,
            auth: {
              apiKey: this.options.credentials.apiKey,
              accessToken: token,
            },
          },
          category,
          { probe, maxWaitMs: options.maxWaitMs },
        );
        return parseData(schema, reply.data, endpoint);
      } catch (err) {
        if (!(err instanceof BrokerError)) throw err;
        if (err.kind === 'token' && token !== undefined && !relogged) {
          relogged = true;
          this.log.info({ endpoint }, 'mstock token expired; relogging');
          await this.brokerSession.invalidate(token);
          continue;
        }
        const mayRetry = err.retryable && retry < options.retries;
        // This failure tipped the broker offline: say so, do not retry.
        if (mayRetry && !probe) this.offline.check(endpoint);
        const delay = mayRetry
          ? backoffDelay(retry, err.retryAfterMs)
          : undefined;
        if (delay === undefined) throw err;
        retry += 1;
        this.log.info(
          { endpoint, attempt: retry + 1, delay_ms: delay, err_kind: err.kind },
          'mstock retrying',
        );
        await this.sleep(delay);
      }
    }
  }

  /**
   * One request through the gates: the client must be open, the broker
   * online (unless this is the probe), and the rate limiter must grant a
   * slot. The outcome feeds the offline detector.
   */
  private async exchange(
    request: MstockRequest,
    category: RateCategory,
    options: {
      probe: boolean;
      beforeSend?: (() => Promise<void>) | undefined;
      onSend?: () => void;
      maxWaitMs?: number;
    },
  ): Promise<MstockReply> {
    const endpoint = `${request.method} ${request.pathLabel ?? request.path}`;
    if (this.closed) {
      throw markNeverSent(
        new BrokerError('unavailable', 'The mStock client is shut down.', {
          endpoint,
        }),
      );
    }
    if (!options.probe) this.offline.check(endpoint);
    await this.limiter.acquire(
      category,
      options.maxWaitMs === undefined ? {} : { maxWaitMs: options.maxWaitMs },
    );
    if (options.beforeSend !== undefined) {
      try {
        await options.beforeSend();
      } catch (err) {
        throw err instanceof Error ? markNeverSent(err) : err;
      }
    }
    options.onSend?.();
    try {
      const reply = await this.http.send(request);
      this.lastError = null;
      this.offline.recordAnswer();
      if (this.loginRefused) {
        this.loginRefused = false;
        this.emitStatus();
      }
      return reply;
    } catch (err) {
      if (err instanceof BrokerError) {
        this.lastError = err.message;
        if (err.kind === 'auth') {
          this.loginRefused = true;
          this.emitStatus();
        }
        this.offline.recordFailure(err);
      }
      throw err;
    }
  }

  private parseOrderReply(
    reply: MstockReply,
    tag: string,
    log: Logger,
  ): { orderId: string } {
    try {
      return parseData(
        placeOrderReplySchema,
        reply.data,
        'POST orders/regular',
      );
    } catch (err) {
      // "success" without a readable order id: it may well be placed.
      log.error({ status: reply.status }, 'mstock order reply unreadable');
      throw new OrderOutcomeUnknownError(tag, { cause: err });
    }
  }

  /** A cheap authenticated read that may pass the offline gate. */
  private async probe(): Promise<void> {
    await this.call(
      { method: 'GET', path: 'user/fundsummary', kind: 'read' },
      'data',
      fundsSchema,
      { retries: 0, probe: true },
    );
  }

  /** One callback per change of online, logged-in, expiry or refusal. */
  private emitStatus(): void {
    const { loggedIn, expiresAt } = this.brokerSession.snapshot();
    const online = this.offline.online;
    const refused = this.loginRefused;
    const last = this.emitted;
    if (
      last.online === online &&
      last.loggedIn === loggedIn &&
      last.expiresAt === expiresAt &&
      last.refused === refused
    ) {
      return;
    }
    this.emitted = { online, loggedIn, expiresAt, refused };
    try {
      this.options.onStatusChange?.({
        online,
        loggedIn,
        sessionExpiresAt: expiresAt,
        lastError: this.lastError,
      });
    } catch (err) {
      this.log.error(
        { reason: err instanceof Error ? err.message : String(err) },
        'mstock status listener failed',
      );
    }
  }
}

/** The Type A placement form; a LIMIT without a price is refused here. */
function orderForm(
  request: PlaceOrderRequest,
  endpoint: string,
): Record<string, string> {
  const isLimit = request.orderType === 'LIMIT';
  if (isLimit && !(request.price !== undefined && request.price > 0)) {
    throw markNeverSent(
      new BrokerError('input', 'A LIMIT order needs a price above zero.', {
        endpoint,
      }),
    );
  }
  return {
    tradingsymbol: request.symbol,
    exchange: request.exchange,
    transaction_type: request.side,
    order_type: request.orderType,
    quantity: String(request.quantity),
    product: request.product,
    validity: 'DAY',
    price: isLimit ? String(request.price) : '0',
    trigger_price: '0',
    tag: request.tag,
  };
}
