/**
 * The broker's data as the rest of the product sees it: converted once,
 * at the edge, from the Type A wire shapes (see schemas.ts). Prices are
 * rupees; `null` means the broker did not say.
 */

export const EXCHANGES = ['NSE', 'BSE', 'NFO', 'BFO', 'CDS', 'MCX'] as const;
export type Exchange = (typeof EXCHANGES)[number];

/** `NSE:M&M`: exchange and upper-case trading symbol. */
export interface InstrumentRef {
  exchange: Exchange;
  symbol: string;
}

export type Side = 'BUY' | 'SELL';
/** What a user may choose; the order book may answer other words. */
export type Product = 'CNC' | 'MIS';

export interface Quote {
  exchange: Exchange;
  symbol: string;
  /** False when the broker answered `null` for this instrument. */
  found: boolean;
  lastPrice: number | null;
  open: number | null;
  high: number | null;
  low: number | null;
  /** Previous session's close; change is measured against it. */
  close: number | null;
}

export interface Funds {
  /** AVAILABLE_BALANCE: cash available to trade. */
  availableCash: number | null;
  /** AMOUNT_UTILIZED. */
  usedMargin: number | null;
  /** LIMIT_SOD: the limit at the start of the day. */
  openingLimit: number | null;
}

export interface Holding {
  /** The broker names holdings by company, not by trading symbol. */
  name: string;
  isin: string | null;
  exchange: Exchange | null;
  quantity: number;
  averagePrice: number | null;
  lastPrice: number | null;
  closePrice: number | null;
}

export interface Position {
  exchange: string;
  symbol: string;
  /** As the broker spells it, possibly empty. */
  product: string;
  /** Signed net quantity. */
  quantity: number;
  averagePrice: number | null;
  lastPrice: number | null;
  /** Day P&L: the broker's `pnl`, or `m2m` when `pnl` is zero or missing. */
  pnl: number | null;
}

/**
 * Order states collapsed from the broker's title-case statuses
 * (`Pending`, `O-Pending`, `Triggered` → open; `Traded` → filled, …).
 * A partial fill is an open order with `filledQuantity > 0`.
 */
export type OrderState =
  'open' | 'filled' | 'cancelled' | 'rejected' | 'unknown';

export interface Order {
  orderId: string;
  exchange: string;
  symbol: string;
  side: Side;
  /** MARKET, LIMIT, SL, SL-M, as sent by the broker. */
  orderType: string;
  /** As the broker spells it (INTRADAY for MIS, …). */
  product: string;
  quantity: number;
  filledQuantity: number;
  pendingQuantity: number;
  price: number | null;
  triggerPrice: number | null;
  averagePrice: number | null;
  /** The broker's status word, kept for display. */
  status: string;
  state: OrderState;
  /** Rejection reason and the like. */
  statusMessage: string | null;
  /** Our client tag where the broker echoes it. */
  tag: string | null;
  /** The broker's timestamp text, as sent. */
  placedAt: string | null;
}

export interface PlaceOrderRequest {
  exchange: Exchange;
  symbol: string;
  side: Side;
  quantity: number;
  orderType: 'MARKET' | 'LIMIT';
  /** Required for LIMIT, absent for MARKET. */
  price?: number;
  product: Product;
  /**
   * One tag per user intent, reused on every retry of that intent, so an
   * order whose reply was lost can be found again in the order book.
   */
  tag: string;
}

/** One fill from today's trade book. */
export interface Trade {
  /** TRADE_NUMBER. */
  tradeId: string;
  /** ORDER_NUMBER: the broker's order id, as the order book has it. */
  orderId: string;
  exchange: string;
  symbol: string;
  side: Side;
  quantity: number;
  /** The fill price, rupees. */
  price: number;
  /** The broker's timestamp text (ORDER_DATE_TIME), as sent. */
  time: string | null;
}

export interface SessionInfo {
  loggedIn: boolean;
  /** Epoch ms; the token dies at the day's end (IST) or 12 h after login. */
  expiresAt: number | null;
  online: boolean;
}

/**
 * A list the broker sent, read row by row: rows that did not fit (an
 * order without an id, …) are left out and counted in `unreadableRows`,
 * which is absent when every row was read. Whoever reports "nothing is
 * open" from such a list must say that some rows could not be read.
 */
export type BrokerList<T> = T[] & { unreadableRows?: number };

export interface ReadOptions {
  /**
   * A read nobody is waiting for (the fill watcher's poll): it never
   * queues for the rate limiter or retries, so the users' own reads keep
   * the data budget. Fails at once as 'rate-limited' when no slot is free.
   */
  background?: boolean;
}

export interface PlaceOrderOptions {
  /**
   * Runs before each POST of the order (a second time only after a
   * refusal for an expired token), once the access token and the rate
   * limiter's slot are in hand, immediately before the request leaves:
   * the last moment to refuse it. Whatever it throws is passed through
   * unchanged and marked never sent (see `neverReachedBroker`).
   */
  beforeSend?: () => Promise<void>;
}

/**
 * The broker as the workers use it. One instance per worker process owns
 * the session (login, TOTP, relogin), the shared rate limiter and the
 * offline detector. Read calls retry by themselves; `placeOrder` never
 * retries a request that may have reached the broker.
 */
export interface BrokerClient {
  quotes(instruments: InstrumentRef[]): Promise<Quote[]>;
  /** Last prices only: open, high, low and close are always `null`. */
  ltp(instruments: InstrumentRef[]): Promise<Quote[]>;
  funds(): Promise<Funds>;
  holdings(): Promise<BrokerList<Holding>>;
  positions(): Promise<BrokerList<Position>>;
  orders(options?: ReadOptions): Promise<BrokerList<Order>>;
  /** Today's fills, read row by row like the order book. */
  tradeBook(): Promise<BrokerList<Trade>>;
  /**
   * @returns the broker's order id: the order was received, not filled.
   * @throws OrderOutcomeUnknownError when the request may have reached the
   *   broker but no usable answer came back; the caller reconciles.
   */
  placeOrder(
    request: PlaceOrderRequest,
    options?: PlaceOrderOptions,
  ): Promise<{ orderId: string }>;
  cancelOrder(orderId: string): Promise<void>;
  /**
   * Asks the broker to cancel every open order at once. The reply carries
   * no count, so only a fresh read of the order book says what happened.
   */
  cancelAll(): Promise<void>;
  session(): SessionInfo;
  /**
   * Longest one request stays on the wire before it is abandoned; ms. A
   * POST that began longer ago than this has settled one way or the other.
   */
  readonly requestTimeoutMs?: number;
  /** Stops timers and sockets; the client is unusable afterwards. */
  close(): Promise<void>;
}
