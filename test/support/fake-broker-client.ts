import { setTimeout as sleep } from 'node:timers/promises';
import {
  BrokerError,
  OrderOutcomeUnknownError,
} from '../../src/mstock/errors.ts';
import { markNeverSent } from '../../src/mstock/http.ts';
import type {
  BrokerClient,
  BrokerList,
  Funds,
  Holding,
  InstrumentRef,
  Order,
  OrderState,
  PlaceOrderOptions,
  PlaceOrderRequest,
  Position,
  Quote,
  ReadOptions,
  SessionInfo,
  Trade,
} from '../../src/mstock/types.ts';

/**
 * An in-memory broker for queue tests: an order book the test can move
 * (fill, reject), scripted outcomes for placeOrder and cancelOrder, delays,
 * and a journal of every call, so a test can assert "exactly one POST".
 */

export type ClientMethod =
  | 'quotes'
  | 'funds'
  | 'holdings'
  | 'positions'
  | 'ltp'
  | 'orders'
  | 'tradeBook'
  | 'placeOrder'
  | 'cancelOrder'
  | 'cancelAll';

export type PlaceScript =
  /** The order is recorded and its id returned (the default). */
  | { kind: 'ok'; state?: OrderState; statusMessage?: string }
  /** The order IS recorded, then the reply is lost. */
  | { kind: 'unknown-after-record'; state?: OrderState }
  /** Nothing recorded, and the reply is lost. */
  | { kind: 'unknown-without-record' }
  /** Refused: nothing recorded. */
  | { kind: 'error'; error: BrokerError };

export type CancelScript =
  | { kind: 'ok' }
  /** The order fills just before our cancel; the broker refuses it. */
  | { kind: 'fill-first'; averagePrice?: number }
  /** A genuine failure; the order stays open. */
  | { kind: 'error'; error: BrokerError };

const STATUS_WORD: Record<OrderState, string> = {
  open: 'Pending',
  filled: 'Traded',
  cancelled: 'Cancelled',
  rejected: 'Rejected',
  unknown: 'Frozen',
};

export function refusal(message: string): BrokerError {
  return new BrokerError('rejected', message, {
    brokerType: 'InputException',
    status: 200,
  });
}

export function unavailable(
  message = 'The broker is not answering (HTTP 500).',
): BrokerError {
  return new BrokerError('unavailable', message, { status: 500 });
}

export class FakeBrokerClient implements BrokerClient {
  readonly calls: { method: ClientMethod; args: unknown[] }[] = [];
  online = true;
  loggedIn = true;
  /** False: the book shows `tag: null`, as mStock's `tag: []` reads. */
  echoTags = true;
  /**
   * Waits at the start of a call. For placeOrder this is before
   * `beforeSend`: the time a real client spends on a relogin or a rate
   * limiter slot.
   */
  delays: Partial<Record<ClientMethod, number>> = {};
  /**
   * When set, placeOrder waits for it after `beforeSend`, with the request
   * on the wire (see `posts`), before the broker acts.
   */
  placeGate: Promise<void> | null = null;
  /** Requests that passed `beforeSend` and left, whatever came back. */
  readonly posts: PlaceOrderRequest[] = [];
  /** See BrokerClient; the queue tests keep it short. */
  requestTimeoutMs = 2_000;
  /** Rows of the order book the next reads could not read (counted). */
  unreadableRows = 0;

  private readonly book = new Map<string, Order>();
  private nextId = 1131241001100;
  private readonly placeScripts: PlaceScript[] = [];
  private readonly cancelScripts = new Map<string, CancelScript>();
  private readonly failures = new Map<ClientMethod, Error[]>();

  constructor(private readonly now: () => number = Date.now) {}

  // ---- scripting -------------------------------------------------------

  /** Outcomes for the next placeOrder calls, in order. */
  scriptPlace(...scripts: PlaceScript[]): void {
    this.placeScripts.push(...scripts);
  }

  scriptCancel(orderId: string, script: CancelScript): void {
    this.cancelScripts.set(orderId, script);
  }

  /** The next call of `method` throws `error` (queued, one per call). */
  failNext(method: ClientMethod, error: Error): void {
    const list = this.failures.get(method) ?? [];
    list.push(error);
    this.failures.set(method, list);
  }

  addOrder(fields: Partial<Order> & { symbol: string }): Order {
    const state = fields.state ?? 'open';
    const order: Order = {
      orderId: String(this.nextId++),
      exchange: 'NSE',
      side: 'BUY',
      orderType: 'LIMIT',
      product: 'CNC',
      quantity: 10,
      filledQuantity: 0,
      pendingQuantity: fields.quantity ?? 10,
      price: 1500,
      triggerPrice: null,
      averagePrice: null,
      status: STATUS_WORD[state],
      state,
      statusMessage: null,
      tag: null,
      placedAt: istText(this.now()),
      ...fields,
    };
    this.book.set(order.orderId, order);
    return structuredClone(order);
  }

  update(orderId: string, patch: Partial<Order>): Order {
    const order = this.book.get(orderId);
    if (order === undefined) throw new Error(`no order ${orderId}`);
    Object.assign(order, patch);
    if (patch.state !== undefined && patch.status === undefined) {
      order.status = STATUS_WORD[patch.state];
    }
    order.pendingQuantity = order.quantity - order.filledQuantity;
    return structuredClone(order);
  }

  /** Fills `quantity` more (all of it when omitted). */
  fill(orderId: string, quantity?: number, averagePrice = 1502.05): Order {
    const order = this.book.get(orderId);
    if (order === undefined) throw new Error(`no order ${orderId}`);
    const filled = Math.min(
      order.quantity,
      order.filledQuantity + (quantity ?? order.quantity),
    );
    return this.update(orderId, {
      filledQuantity: filled,
      averagePrice,
      state: filled === order.quantity ? 'filled' : 'open',
    });
  }

  reject(orderId: string, statusMessage: string): Order {
    return this.update(orderId, { state: 'rejected', statusMessage });
  }

  /** Empties the order book (a new trading day). */
  clearBook(): void {
    this.book.clear();
  }

  orderList(): Order[] {
    return [...this.book.values()].map((o) => structuredClone(o));
  }

  count(method: ClientMethod): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  // ---- BrokerClient ----------------------------------------------------

  async quotes(instruments: InstrumentRef[]): Promise<Quote[]> {
    await this.enter('quotes', [instruments]);
    return instruments.map((i) => ({
      exchange: i.exchange,
      symbol: i.symbol,
      found: true,
      lastPrice: 1500.5,
      open: 1490,
      high: 1510,
      low: 1485,
      close: 1495,
    }));
  }

  async ltp(instruments: InstrumentRef[]): Promise<Quote[]> {
    await this.enter('ltp', [instruments]);
    return instruments.map((i) => ({
      exchange: i.exchange,
      symbol: i.symbol,
      found: true,
      lastPrice: 1500.5,
      open: null,
      high: null,
      low: null,
      close: null,
    }));
  }

  async funds(): Promise<Funds> {
    await this.enter('funds', []);
    return { availableCash: 100_000, usedMargin: 2_500, openingLimit: 102_500 };
  }

  async holdings(): Promise<Holding[]> {
    await this.enter('holdings', []);
    return [];
  }

  async positions(): Promise<Position[]> {
    await this.enter('positions', []);
    return [];
  }

  async orders(options?: ReadOptions): Promise<BrokerList<Order>> {
    await this.enter('orders', options === undefined ? [] : [options]);
    const book = this.orderList();
    return this.unreadableRows > 0
      ? Object.assign(book, { unreadableRows: this.unreadableRows })
      : book;
  }

  async tradeBook(): Promise<BrokerList<Trade>> {
    await this.enter('tradeBook', []);
    return [];
  }

  async placeOrder(
    request: PlaceOrderRequest,
    options: PlaceOrderOptions = {},
  ): Promise<{ orderId: string }> {
    await this.enter('placeOrder', [request]);
    try {
      await options.beforeSend?.();
    } catch (err) {
      throw err instanceof Error ? markNeverSent(err) : err;
    }
    this.posts.push(request);
    if (this.placeGate !== null) await this.placeGate;
    const script = this.placeScripts.shift() ?? { kind: 'ok' };
    if (script.kind === 'error') throw script.error;
    if (script.kind === 'unknown-without-record') {
      throw new OrderOutcomeUnknownError(request.tag);
    }
    const order = this.addOrder({
      exchange: request.exchange,
      symbol: request.symbol,
      side: request.side,
      quantity: request.quantity,
      orderType: request.orderType,
      price: request.price ?? null,
      product: request.product === 'MIS' ? 'INTRADAY' : 'CNC',
      tag: this.echoTags ? request.tag : null,
      state: script.state ?? 'open',
      statusMessage:
        script.kind === 'ok' ? (script.statusMessage ?? null) : null,
    });
    if (script.kind === 'unknown-after-record') {
      throw new OrderOutcomeUnknownError(request.tag);
    }
    return { orderId: order.orderId };
  }

  async cancelOrder(orderId: string): Promise<void> {
    await this.enter('cancelOrder', [orderId]);
    const order = this.book.get(orderId);
    const script = this.cancelScripts.get(orderId) ?? { kind: 'ok' };
    if (script.kind === 'error') throw script.error;
    if (script.kind === 'fill-first') {
      this.fill(orderId, undefined, script.averagePrice);
    }
    if (order === undefined) {
      throw refusal(
        'Order Does not Exsist.Need to refresh orderbook / relogin in application',
      );
    }
    // An unknown status word ('Frozen' here) may be a working order.
    if (order.state !== 'open' && order.state !== 'unknown') {
      throw refusal(`Order is already ${order.status.toLowerCase()}.`);
    }
    this.update(orderId, { state: 'cancelled' });
  }

  /** Cancels every open (or unknown-state) order in the book. */
  async cancelAll(): Promise<void> {
    await this.enter('cancelAll', []);
    for (const order of this.book.values()) {
      if (order.state === 'open' || order.state === 'unknown') {
        this.update(order.orderId, { state: 'cancelled' });
      }
    }
  }

  session(): SessionInfo {
    return { loggedIn: this.loggedIn, expiresAt: null, online: this.online };
  }

  async close(): Promise<void> {}

  private async enter(method: ClientMethod, args: unknown[]): Promise<void> {
    this.calls.push({ method, args });
    const delay = this.delays[method];
    if (delay !== undefined && delay > 0) await sleep(delay);
    const failure = this.failures.get(method)?.shift();
    if (failure !== undefined) throw failure;
  }
}

/** `30-09-2024 15:45:46`, IST, as the order book writes it. */
export function istText(epochMs: number): string {
  const d = new Date(epochMs + 330 * 60_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}-${p(d.getUTCMonth() + 1)}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}
