import { randomInt } from 'node:crypto';
import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MstockCredentials } from '../config.ts';
import { createLogger, type Logger } from '../logger.ts';
import { Account } from './account.ts';
import { ADMIN_PATH, handleAdmin, type AdminControls } from './admin.ts';
import { AuthState } from './auth.ts';
import { generatePaperCredentials } from './credentials.ts';
import { failure, MESSAGES, type Reply } from './envelope.ts';
import { SimulatorError } from './errors.ts';
import {
  FaultRegistry,
  htmlErrorPage,
  type Fault,
  type FaultMatch,
} from './faults.ts';
import {
  flattenHeaders,
  parseBody,
  parseQuery,
  readBody,
  sendReply,
  splitUrl,
  type SimRequest,
} from './http-io.ts';
import { isMarketOpen } from './ist-time.ts';
import { Market } from './market.ts';
import { PaperBroker } from './paper-broker.ts';
import { parsePaperState, PaperStateError } from './paper-state.ts';
import { createRandom } from './random.ts';
import { BASE_PATH, createTypeARouter } from './routes.ts';
import { StateSaver } from './state-saver.ts';
import type { SimulatorStore } from './state-store.ts';
import {
  bookOrderRow,
  type BookOrderRow,
  type QuotePriceUnit,
  type TagEcho,
} from './wire.ts';

export type { Fault, FaultMatch } from './faults.ts';
export type { SimRequest } from './http-io.ts';
export type { BookOrderRow, QuotePriceUnit, TagEcho } from './wire.ts';
export type { SimulatorStore } from './state-store.ts';
export { generatePaperCredentials } from './credentials.ts';
export { SimulatorError } from './errors.ts';
export { PAPER_STATE_VERSION } from './paper-state.ts';
export { redisSimulatorStore } from './state-store.ts';

/**
 * The built-in mStock Type A simulator: a loopback HTTP server that
 * answers the Type A routes with the broker's wire shapes and quirks,
 * keeps a paper account (cash, holdings, positions, order and trade
 * books) over a seeded random-walk market, and lets tests script faults.
 * Paper trading, the demo and every test run against it.
 *
 * TODO(simulator): there is no WebSocket feed (ticks, order and trade
 * updates); add one when the client watches fills over the socket
 * instead of polling the order book.
 */

export interface SeedHolding {
  /** NSE trading symbol, e.g. `ITC`. */
  symbol: string;
  quantity: number;
  /** Rupees. */
  averagePrice: number;
}

export interface SimulatorOptions {
  /** Default 0: any free port. */
  port?: number;
  /** Only loopback: `127.0.0.1` (default) or `localhost`. */
  host?: string;
  /** Default: fresh ones from {@link generatePaperCredentials}. */
  credentials?: MstockCredentials;
  /** Epoch ms; drives TOTP, token expiry, timestamps and the trading day. */
  now?: () => number;
  /** Seed of the price walk and partial fills; default random. */
  seed?: number;
  /** Price step interval in ms; 0 = prices move only when told. */
  tickMs?: number;
  /** Share (0-1) of limit crossings that fill 30-70 % first; default 0.3. */
  partialFillRatio?: number;
  /** Most shares one order fills per matching round; default unlimited. */
  maxFillPerTick?: number;
  /** REST quote prices in rupees (default) or integer paise. */
  quotePriceUnit?: QuotePriceUnit;
  /** Rupees; default ₹10,00,000. */
  startingCash?: number;
  /** Default: ITC, SBIN, MAHABANK and INFY lines; `[]` for none. */
  holdings?: SeedHolding[];
  /** Default silent. */
  logger?: Logger;
  /**
   * Default false: paper trading works at any hour. True: order actions
   * outside 09:15-15:30 IST, Mon-Fri, get "System is not connected to NSE
   * Equity market", and timed price steps pause.
   */
  marketHours?: boolean;
  /** Default true; false: verifytotp gives no access_token (session/token must follow). */
  verifyTotpReturnsToken?: boolean;
  /** HTTP status of TokenException replies; default 401. */
  tokenErrorStatus?: number;
  /** How the order book echoes `tag`; default the string. */
  tagEcho?: TagEcho;
  /** Empty holdings as `[]` (default) or `"None"`. */
  emptyHoldings?: 'array' | 'none';
  /** Wrap the place-order reply in a one-element array; default false. */
  placeReplyArray?: boolean;
  /** Requests kept in the journal (oldest dropped); default 5000. */
  journalLimit?: number;
  /**
   * Keeps the paper account (cash, holdings, the day's books, prices, id
   * counters; never credentials) across restarts. At start a saved state
   * replaces `startingCash`, `holdings` and the seed's prices; an
   * unreadable or other-version state is logged and replaced by a fresh
   * account. Default: none, every start is a fresh account.
   */
  store?: SimulatorStore;
  /** Least ms between two saves to `store`; default 500. */
  saveIntervalMs?: number;
}

export interface Simulator {
  /** `http://127.0.0.1:<port>/openapi/typea`. */
  readonly baseUrl: string;
  /** `http://127.0.0.1:<port>/__sim`: the same controls over HTTP. */
  readonly adminUrl: string;
  readonly credentials: MstockCredentials;
  /** Requests received on the Type A side, oldest first. */
  readonly requests: readonly SimRequest[];
  clearRequests(): void;
  /** Sets `EXCHANGE:SYMBOL`'s last price (rupees) and matches orders. */
  setPrice(key: string, price: number): void;
  /** Last price in rupees; undefined for an unknown instrument. */
  price(key: string): number | undefined;
  /** One random-walk step, then matching. */
  tick(): void;
  /** Fills an open order (default: all of it) at once. */
  fillOrder(orderId: string, quantity?: number): void;
  /** The exchange rejects an open order with `reason` as status_message. */
  rejectOrder(orderId: string, reason: string): void;
  /** Today's order book, as `GET orders` rows. */
  orders(): BookOrderRow[];
  /** Every access token stops working (401 until the next login). */
  expireSessions(): void;
  /** Arms `fault` for the next `times` matching requests. */
  inject(match: FaultMatch, fault: Fault, times?: number): void;
  /** While on, every Type A request's connection is reset. */
  setOffline(on: boolean): void;
  clearFaults(): void;
  close(): Promise<void>;
}

const DEFAULT_HOLDINGS: SeedHolding[] = [
  { symbol: 'ITC', quantity: 50, averagePrice: 398.2 },
  { symbol: 'SBIN', quantity: 20, averagePrice: 760 },
  { symbol: 'MAHABANK', quantity: 10, averagePrice: 30 },
  { symbol: 'INFY', quantity: 5, averagePrice: 1480.5 },
];

export async function startSimulator(
  options: SimulatorOptions = {},
): Promise<Simulator> {
  checkOptions(options);
  const now = options.now ?? Date.now;
  const logger = options.logger ?? createLogger('silent');
  const credentials = options.credentials ?? generatePaperCredentials();
  const seed = options.seed ?? randomInt(2 ** 31);
  const journalLimit = options.journalLimit ?? 5000;

  let saver: StateSaver | undefined;
  const createBroker = () => {
    const market = new Market(createRandom(seed));
    const account = new Account(options.startingCash ?? 1_000_000);
    for (const seedLine of options.holdings ?? DEFAULT_HOLDINGS) {
      const listing = market.findListing('NSE', seedLine.symbol);
      if (listing === undefined) {
        throw new SimulatorError(
          `holding ${seedLine.symbol} is not a simulated NSE symbol`,
        );
      }
      account.addHolding(
        listing.company,
        seedLine.quantity,
        seedLine.averagePrice,
      );
    }
    return new PaperBroker({
      now,
      market,
      account,
      random: createRandom(seed ^ 0x5bd1e995),
      username: credentials.username,
      partialFillRatio: options.partialFillRatio ?? 0.3,
      maxFillPerTick: options.maxFillPerTick ?? Number.POSITIVE_INFINITY,
      marketHours: options.marketHours ?? false,
      logger,
      onChange: () => saver?.changed(),
    });
  };
  let broker = createBroker();
  if (options.store !== undefined) {
    const store = options.store;
    const restored = await restoreBroker(store, broker, logger);
    // A failed restore may have left part of the saved state behind.
    if (!restored) broker = createBroker();
    const current = broker;
    saver = new StateSaver({
      store,
      encode: () => JSON.stringify(current.exportState()),
      intervalMs: options.saveIntervalMs ?? 500,
      logger,
    });
    // Stores the account as it starts: fresh, restored or rolled over.
    saver.changed();
  }
  const market = broker.market;
  const auth = new AuthState(credentials, now);
  const tagEcho = options.tagEcho ?? 'string';
  const tokenErrorStatus = options.tokenErrorStatus ?? 401;
  const route = createTypeARouter({
    auth,
    broker,
    credentials,
    now,
    settings: {
      quotePriceUnit: options.quotePriceUnit ?? 'rupees',
      verifyTotpReturnsToken: options.verifyTotpReturnsToken ?? true,
      tokenErrorStatus,
      tagEcho,
      emptyHoldings: options.emptyHoldings ?? 'array',
      placeReplyArray: options.placeReplyArray ?? false,
    },
  });

  const faults = new FaultRegistry();
  let journal: SimRequest[] = [];
  let offline = false;
  let closed = false;
  const closing = new AbortController();

  const handle: Simulator & AdminControls = {
    baseUrl: '',
    adminUrl: '',
    credentials,
    get requests() {
      return journal;
    },
    clearRequests() {
      journal = [];
    },
    setPrice(key, price) {
      if (!Number.isFinite(price) || price <= 0) {
        throw new SimulatorError(
          `price for ${key} must be a positive number of rupees`,
        );
      }
      broker.setPrice(findInstrument(key), price);
    },
    price(key) {
      const instrument = market.find(key);
      if (instrument === undefined) return undefined;
      broker.ensureDay();
      return market.ltp(instrument);
    },
    tick: () => broker.tick(),
    fillOrder(orderId, quantity) {
      broker.forceFill(orderId, quantity);
    },
    rejectOrder(orderId, reason) {
      broker.forceReject(orderId, reason);
    },
    orders: () =>
      broker
        .orders()
        .map((o) => bookOrderRow(o, credentials.username, tagEcho)),
    expireSessions: () => auth.expireAll(),
    inject(match, fault, times = 1) {
      faults.add(match, fault, times);
    },
    setOffline(on) {
      offline = on;
    },
    clearFaults() {
      faults.clear();
      offline = false;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      closing.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await saver?.close(CLOSE_SAVE_TIMEOUT_MS);
      logger.info('simulator stopped');
    },
  };

  function findInstrument(key: string) {
    const instrument = market.find(key);
    if (instrument === undefined) {
      throw new SimulatorError(
        `unknown instrument "${key}"; use EXCHANGE:SYMBOL such as NSE:INFY`,
      );
    }
    return instrument;
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse) {
    const { path, rawQuery } = splitUrl(req.url);
    const raw = await readBody(req);
    const { kind, body } = parseBody(req.headers['content-type'], raw.text);
    const request: SimRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      path,
      route: path.startsWith(`${BASE_PATH}/`)
        ? path.slice(BASE_PATH.length + 1)
        : path.replace(/^\/+/, ''),
      rawQuery,
      query: parseQuery(rawQuery),
      headers: flattenHeaders(req),
      bodyKind: kind,
      body,
      bodyText: raw.text,
      at: now(),
    };

    if (path === ADMIN_PATH || path.startsWith(`${ADMIN_PATH}/`)) {
      if (!isLoopback(req.socket)) {
        sendReply(res, { status: 403, body: { ok: false } }, now());
        return;
      }
      sendReply(res, handleAdmin(handle, request), now());
      return;
    }

    journal.push(request);
    if (journal.length > journalLimit) {
      journal.splice(0, Math.max(1, Math.ceil(journalLimit / 5)));
    }
    if (offline) {
      request.fault = 'offline';
      req.socket.destroy();
      return;
    }
    if (raw.tooLarge) {
      sendReply(
        res,
        failure(413, 'InputException', 'Request body is too large.'),
        now(),
      );
      return;
    }
    const fault = faults.take(request.method, request.route, path);
    if (fault !== undefined) request.fault = fault.type;
    const answer = () => answerTypeA(request);

    switch (fault?.type) {
      case undefined:
        sendReply(res, answer(), now());
        return;
      case 'status':
        sendReply(res, faultStatusReply(fault.status, fault.body), now());
        return;
      case 'html':
        sendReply(res, htmlReply(fault.status), now());
        return;
      case 'hang':
        logger.debug({ path }, 'fault: hanging request');
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'empty':
        sendReply(res, { status: 200, body: undefined }, now());
        return;
      case 'token-expired':
        sendReply(
          res,
          failure(tokenErrorStatus, 'TokenException', MESSAGES.token),
          now(),
        );
        return;
      case 'rate-limited':
        sendReply(
          res,
          {
            ...failure(429, 'GeneralException', MESSAGES.rateLimited),
            headers: { 'retry-after': String(fault.retryAfterS ?? 1) },
          },
          now(),
        );
        return;
      case 'delay':
        await sleep(fault.ms, undefined, { signal: closing.signal });
        sendReply(res, answer(), now());
        return;
      case 'after-write':
        // The broker acts on the request; only the reply is lost.
        answer();
        if (fault.then === 'reset') req.socket.destroy();
        if (fault.then === 'empty') {
          sendReply(res, { status: 200, body: undefined }, now());
        }
        return;
    }
  }

  function answerTypeA(request: SimRequest): Reply {
    if (!request.path.startsWith(`${BASE_PATH}/`)) {
      return failure(
        404,
        'GeneralException',
        `Not found: ${request.path}. Type A routes live under ${BASE_PATH}/.`,
      );
    }
    try {
      return route(request);
    } catch (err) {
      logger.error({ err, path: request.path }, 'simulator route failed');
      return failure(500, 'GeneralException', MESSAGES.internal);
    }
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch((err: unknown) => {
      if (closed) {
        res.destroy();
        return;
      }
      logger.error({ err }, 'simulator request failed');
      sendReply(
        res,
        failure(500, 'GeneralException', MESSAGES.internal),
        now(),
      );
    });
  });
  // Malformed requests and oversized headers (a huge query) never reach
  // the handler; answer them with an error body instead of Node's bare one.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify(
      failure(
        status,
        'InputException',
        status === 431
          ? 'Request line or headers too large; send fewer instruments per request.'
          : 'Malformed HTTP request.',
      ).body,
    );
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
        'content-type: application/json; charset=utf-8\r\n' +
        `content-length: ${Buffer.byteLength(body)}\r\n` +
        'connection: close\r\n\r\n' +
        body,
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  Object.assign(handle, {
    baseUrl: `http://127.0.0.1:${port}${BASE_PATH}`,
    adminUrl: `http://127.0.0.1:${port}${ADMIN_PATH}`,
  });

  const tickMs = options.tickMs ?? 1000;
  let timer: NodeJS.Timeout | undefined;
  if (tickMs > 0) {
    timer = setInterval(() => {
      if (options.marketHours === true && !isMarketOpen(now())) return;
      try {
        broker.tick();
      } catch (err) {
        logger.error({ err }, 'simulator tick failed');
      }
    }, tickMs);
    // The server keeps the process alive; the timer alone should not.
    timer.unref();
  }

  logger.info({ port, seed }, 'simulator started');
  return handle;
}

/** How long close() waits for the last save before it gives up. */
const CLOSE_SAVE_TIMEOUT_MS = 5000;

/**
 * Loads the saved state into `broker`. Returns false when the state
 * could not be used (it was logged; the caller starts fresh) and true
 * when it was restored or there was none. A store that cannot be read
 * fails the start: carrying on would overwrite the saved account.
 */
async function restoreBroker(
  store: SimulatorStore,
  broker: PaperBroker,
  logger: Logger,
): Promise<boolean> {
  let text: string | null;
  try {
    text = await store.load();
  } catch (err) {
    throw new SimulatorError(
      'could not read the saved paper state; check that its store (Redis) is reachable, then start again',
      { cause: err },
    );
  }
  if (text === null) {
    logger.info('no saved paper state; starting a fresh account');
    return true;
  }
  try {
    broker.importState(parsePaperState(text));
    return true;
  } catch (err) {
    const reason =
      err instanceof PaperStateError ? err.message : 'restore failed';
    logger.warn(
      { reason, err: err instanceof PaperStateError ? undefined : err },
      'saved paper state unusable; starting a fresh account',
    );
    return false;
  }
}

function checkOptions(options: SimulatorOptions): void {
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1' && host !== 'localhost') {
    throw new SimulatorError(
      `host "${host}" is not allowed: the simulator listens on loopback only (127.0.0.1 or localhost)`,
    );
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new SimulatorError(`port must be 0-65535, got ${port}`);
  }
  const ratio = options.partialFillRatio ?? 0.3;
  if (!(ratio >= 0 && ratio <= 1)) {
    throw new SimulatorError(`partialFillRatio must be 0-1, got ${ratio}`);
  }
  const tickMs = options.tickMs ?? 1000;
  if (!Number.isFinite(tickMs) || tickMs < 0) {
    throw new SimulatorError(`tickMs must be 0 or more, got ${tickMs}`);
  }
  const cash = options.startingCash ?? 0;
  if (!Number.isFinite(cash) || cash < 0) {
    throw new SimulatorError(`startingCash must be 0 or more, got ${cash}`);
  }
  const saveMs = options.saveIntervalMs ?? 500;
  if (!Number.isFinite(saveMs) || saveMs < 0) {
    throw new SimulatorError(`saveIntervalMs must be 0 or more, got ${saveMs}`);
  }
  const maxFill = options.maxFillPerTick ?? 1;
  if (!(maxFill >= 1)) {
    throw new SimulatorError(
      `maxFillPerTick must be at least 1, got ${maxFill}`,
    );
  }
}

function isLoopback(socket: Socket): boolean {
  const address = socket.remoteAddress ?? '';
  return (
    address === '127.0.0.1' ||
    address === '::1' ||
    address === '::ffff:127.0.0.1'
  );
}

function faultStatusReply(status: number, body: unknown): Reply {
  if (body !== undefined) return { status, body };
  return failure(status, 'GeneralException', MESSAGES.internal);
}

function htmlReply(status: number): Reply {
  return {
    status,
    body: htmlErrorPage(status),
    headers: { 'content-type': 'text/html; charset=utf-8' },
  };
}
