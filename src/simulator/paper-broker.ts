import type { Logger } from '../logger.ts';
import type { Account } from './account.ts';
import { marketClosedMessage, MESSAGES } from './envelope.ts';
import { SimulatorError } from './errors.ts';
import type { Instrument } from './instruments.ts';
import {
  epochCounterFloor,
  formatExchangeOrderId,
  formatOrderId,
  formatTradeId,
  orderCounterFloor,
  RESTORED_COUNTER_GAP,
} from './ids.ts';
import { formatIstDate, isMarketOpen } from './ist-time.ts';
import { isOnTick, type Market } from './market.ts';
import {
  bookProductWord,
  isDelivery,
  isOpen,
  pendingQuantity,
  snapshot,
  type SimOrder,
  type SimTrade,
} from './order.ts';
import {
  disclosedProblem,
  pricesProblem,
  type ModifyInput,
  type PlaceInput,
} from './order-form.ts';
import {
  capturePaperState,
  restorePaperParts,
  type PaperState,
} from './paper-state.ts';
import type { Random } from './random.ts';

/**
 * The paper exchange and broker: order book, matching against the
 * simulated last price, RMS checks and the account. Everything is
 * synchronous; the HTTP layer and the test handle call in.
 */

export interface PaperBrokerOptions {
  now: () => number;
  market: Market;
  account: Account;
  /** Drives partial-fill decisions (kept apart from the price walk). */
  random: Random;
  /** Client code shown in `placed_by` and RMS messages. */
  username: string;
  /** Share of crossings that fill only 30-70 % of the rest first. */
  partialFillRatio: number;
  /** Most shares one order fills per matching round; Infinity = all. */
  maxFillPerTick: number;
  /** Refuse order actions outside 09:15-15:30 IST, Monday to Friday. */
  marketHours: boolean;
  logger: Logger;
  /** Called after anything that a saved state would hold has changed. */
  onChange?: () => void;
}

/** Why the broker refused a request outright (no order recorded). */
export interface Refusal {
  /** `input`: malformed (HTTP 400); `refused`: business refusal (200). */
  kind: 'input' | 'refused' | 'rms';
  message: string;
}

export type Outcome<T> =
  { ok: true; value: T } | { ok: false; refusal: Refusal };

export interface FundFigures {
  cash: number;
  openingCash: number;
  available: number;
  utilised: number;
  realisedToday: number;
}

const refuse = (kind: Refusal['kind'], message: string) =>
  ({ ok: false, refusal: { kind, message } }) as const;

export class PaperBroker {
  readonly market: Market;
  readonly account: Account;
  private readonly book = new Map<string, SimOrder>();
  private dayTrades: SimTrade[] = [];
  /**
   * Every fill since the account began, for `trades` with a date range.
   * TODO(simulator): fills (and their orders) are kept, and saved, for
   * good; drop those older than any date range a client asks for (say 90
   * days) once a long-lived paper account makes the saved state large.
   */
  private allTrades: SimTrade[] = [];
  private day: string;
  /** The next value of each id counter (see ids.ts). */
  private orderSeq: number;
  private exchangeSeq: number;
  private tradeSeq: number;

  constructor(private readonly options: PaperBrokerOptions) {
    this.market = options.market;
    this.account = options.account;
    const now = options.now();
    this.day = formatIstDate(now);
    this.orderSeq = orderCounterFloor(now);
    this.exchangeSeq = epochCounterFloor(now);
    this.tradeSeq = epochCounterFloor(now);
  }

  /** Everything a restart needs to carry on, as plain data. */
  exportState(): PaperState {
    return capturePaperState(
      {
        day: this.day,
        counters: {
          order: this.orderSeq,
          exchange: this.exchangeSeq,
          trade: this.tradeSeq,
        },
        cash: this.account.cash,
        openingCash: this.account.openingCash,
        holdings: this.account.holdings.values(),
        positions: this.account.positions.values(),
        market: this.market,
        book: this.book.values(),
        trades: this.allTrades,
        dayTradeCount: this.dayTrades.length,
      },
      this.options.now(),
    );
  }

  /**
   * Replaces the account, books, prices and id counters with a saved
   * state, then rolls the day if the state is from an earlier one.
   * Throws PaperStateError before changing anything when the state does
   * not fit this simulator.
   */
  importState(state: PaperState): void {
    const parts = restorePaperParts(state, this.market);
    const now = this.options.now();

    this.account.cash = parts.cash;
    this.account.openingCash = parts.openingCash;
    this.account.holdings.clear();
    for (const lot of parts.holdings) {
      this.account.holdings.set(lot.company.isin, lot);
    }
    this.account.positions.clear();
    for (const position of parts.positions) {
      this.account.positions.set(
        `${position.instrument.key}:${position.product}`,
        position,
      );
    }
    for (const { instrument, state: prices } of parts.prices) {
      this.market.restorePrice(instrument, prices);
    }
    this.book.clear();
    for (const order of parts.book) this.book.set(order.orderId, order);
    this.allTrades = parts.trades;
    this.dayTrades = parts.trades.slice(
      parts.trades.length - parts.dayTradeCount,
    );
    this.day = parts.day;
    // Ids issued after the last save may have been lost with a crash.
    this.orderSeq = Math.max(
      parts.counters.order + RESTORED_COUNTER_GAP,
      orderCounterFloor(now),
    );
    this.exchangeSeq = Math.max(
      parts.counters.exchange + RESTORED_COUNTER_GAP,
      epochCounterFloor(now),
    );
    this.tradeSeq = Math.max(
      parts.counters.trade + RESTORED_COUNTER_GAP,
      epochCounterFloor(now),
    );
    this.options.logger.info(
      {
        day: this.day,
        orders: this.book.size,
        trades: this.allTrades.length,
      },
      'paper state restored',
    );
    this.ensureDay();
  }

  /** Rolls into a new trading day when the IST date has changed. */
  ensureDay(): void {
    const today = formatIstDate(this.options.now());
    if (today === this.day) return;
    this.options.logger.info({ from: this.day, to: today }, 'day rollover');
    // Unfilled DAY orders simply lapse; the book starts empty.
    this.account.rollDay(this.market);
    this.market.rollDay();
    this.book.clear();
    this.dayTrades = [];
    // The date in the id changes too, so any start value would do; the
    // clock's keeps ids ordered by time, as after a restart.
    this.orderSeq = orderCounterFloor(this.options.now());
    this.day = today;
    this.changed();
  }

  orders(): SimOrder[] {
    this.ensureDay();
    return [...this.book.values()];
  }

  order(orderId: string): SimOrder | undefined {
    this.ensureDay();
    return this.book.get(orderId);
  }

  tradesToday(): SimTrade[] {
    this.ensureDay();
    return [...this.dayTrades];
  }

  /** Fills whose IST date lies in [from, to], both `YYYY-MM-DD`. */
  tradesBetween(from: string, to: string): SimTrade[] {
    this.ensureDay();
    return this.allTrades.filter((trade) => {
      const date = formatIstDate(trade.at);
      return date >= from && date <= to;
    });
  }

  marketOpen(): boolean {
    return !this.options.marketHours || isMarketOpen(this.options.now());
  }

  place(input: PlaceInput): Outcome<SimOrder> {
    this.ensureDay();
    if (!this.marketOpen()) {
      return refuse('refused', marketClosedMessage(input.exchange));
    }
    const instrument = this.market.findListing(
      input.exchange,
      input.tradingsymbol,
    );
    if (instrument === undefined) {
      return refuse(
        'refused',
        `Security ${input.exchange}:${input.tradingsymbol} is not available for trading. Check tradingsymbol and exchange.`,
      );
    }
    const tickProblem = this.tickProblem(instrument, input);
    if (tickProblem !== undefined) return refuse('input', tickProblem);

    const now = this.options.now();
    const order: SimOrder = {
      orderId: this.nextOrderId(now),
      exchangeOrderId: '0',
      instrument,
      side: input.side,
      orderType: input.orderType,
      product: input.product,
      validity: input.validity,
      quantity: input.quantity,
      disclosedQuantity: input.disclosedQuantity,
      price: input.price,
      triggerPrice: input.triggerPrice,
      filledQuantity: 0,
      cancelledQuantity: 0,
      averagePrice: 0,
      status: 'Pending',
      statusMessage: 'CONFIRMED',
      tag: input.tag,
      placedAt: now,
      updatedAt: now,
      modified: false,
      triggered: false,
      partlyFilled: false,
      history: [],
    };
    this.book.set(order.orderId, order);

    // RMS refuses after accepting: the reply still carries the order id
    // and only the book tells the order was rejected.
    const rms = this.rmsProblem(order);
    if (rms !== undefined) {
      order.status = 'Rejected';
      order.statusMessage = rms;
      order.history.push(snapshot(order));
      this.options.logger.info(
        { order_id: order.orderId },
        'order rejected by rms',
      );
      this.changed();
      return { ok: true, value: order };
    }
    order.exchangeOrderId = this.nextExchangeOrderId();
    order.history.push(snapshot(order));
    this.execute(order, true);
    this.changed();
    return { ok: true, value: order };
  }

  modify(orderId: string, change: ModifyInput): Outcome<SimOrder> {
    this.ensureDay();
    const order = this.book.get(orderId);
    if (order === undefined || !isOpen(order)) {
      return refuse('refused', MESSAGES.orderMissing);
    }
    if (!this.marketOpen()) {
      return refuse('refused', marketClosedMessage(order.instrument.exchange));
    }
    const next = {
      orderType: change.orderType ?? order.orderType,
      quantity: change.quantity ?? order.quantity,
      price: change.price ?? order.price,
      triggerPrice: change.triggerPrice ?? order.triggerPrice,
      validity: change.validity ?? order.validity,
      disclosedQuantity: change.disclosedQuantity ?? order.disclosedQuantity,
    };
    // A switch to MARKET or LIMIT drops the now meaningless fields.
    if (change.orderType === 'MARKET' || change.orderType === 'SL-M') {
      if (change.price === undefined) next.price = 0;
    }
    if (change.orderType === 'MARKET' || change.orderType === 'LIMIT') {
      if (change.triggerPrice === undefined) next.triggerPrice = 0;
    }
    const problem =
      pricesProblem(
        next.orderType,
        order.side,
        next.price,
        next.triggerPrice,
      ) ??
      disclosedProblem(next.quantity, next.disclosedQuantity) ??
      this.tickProblem(order.instrument, next);
    if (problem !== undefined) return refuse('input', problem);
    if (next.quantity <= order.filledQuantity) {
      return refuse(
        'input',
        `quantity must be above the ${order.filledQuantity} shares already filled.`,
      );
    }

    const before = { ...order };
    Object.assign(order, next);
    const rms = this.rmsProblem(order);
    if (rms !== undefined) {
      Object.assign(order, before);
      return refuse('rms', rms);
    }
    order.modified = true;
    order.statusMessage = 'MODIFIED';
    order.updatedAt = this.options.now();
    order.history.push(snapshot(order));
    this.execute(order, true);
    this.changed();
    return { ok: true, value: order };
  }

  cancel(orderId: string): Outcome<SimOrder> {
    this.ensureDay();
    const order = this.book.get(orderId);
    if (order === undefined || !isOpen(order)) {
      return refuse('refused', MESSAGES.orderMissing);
    }
    if (!this.marketOpen()) {
      return refuse('refused', marketClosedMessage(order.instrument.exchange));
    }
    this.close(order, 'Cancelled', 'CANCELLED BY USER');
    return { ok: true, value: order };
  }

  /** Cancels every open order; returns the ones it cancelled. */
  cancelAll(): Outcome<SimOrder[]> {
    this.ensureDay();
    if (!this.marketOpen()) {
      return refuse('refused', marketClosedMessage('NSE'));
    }
    const cancelled: SimOrder[] = [];
    for (const order of this.book.values()) {
      if (!isOpen(order)) continue;
      this.close(order, 'Cancelled', 'CANCELLED BY USER');
      cancelled.push(order);
    }
    return { ok: true, value: cancelled };
  }

  /**
   * Test control: fills `quantity` (default: all that is open) at the
   * current price for market orders, at the limit price otherwise.
   */
  forceFill(orderId: string, quantity?: number): SimOrder {
    const order = this.openOrder(orderId);
    const open = pendingQuantity(order);
    const qty = quantity ?? open;
    if (!Number.isInteger(qty) || qty <= 0) {
      throw new SimulatorError(
        `fill quantity must be a positive whole number, got ${qty}`,
      );
    }
    if (qty > open) {
      throw new SimulatorError(
        `order ${orderId} has only ${open} shares open; fill at most that many`,
      );
    }
    if (order.orderType === 'SL' || order.orderType === 'SL-M') {
      order.triggered = true;
    }
    const price =
      order.orderType === 'LIMIT' || order.orderType === 'SL'
        ? order.price
        : this.market.ltp(order.instrument);
    this.fill(order, qty, price);
    return order;
  }

  /** Test control: the exchange or RMS rejects an open order. */
  forceReject(orderId: string, reason: string): SimOrder {
    const order = this.openOrder(orderId);
    this.close(order, 'Rejected', reason);
    return order;
  }

  setPrice(instrument: Instrument, price: number): void {
    this.ensureDay();
    this.market.setPrice(instrument, price);
    this.match(instrument);
    this.changed();
  }

  /** One random-walk step, then matching of every open order. */
  tick(): void {
    this.ensureDay();
    this.market.step();
    this.match(undefined);
    this.changed();
  }

  funds(): FundFigures {
    this.ensureDay();
    const blocked = this.blockedByOrders(undefined);
    const misMargin = this.account.misMargin();
    const realised = this.account.misRealised();
    const cash = this.account.cash;
    return {
      cash,
      openingCash: this.account.openingCash,
      available: cash + realised - misMargin - blocked,
      utilised: misMargin + blocked,
      realisedToday: realised,
    };
  }

  private openOrder(orderId: string): SimOrder {
    this.ensureDay();
    const order = this.book.get(orderId);
    if (order === undefined) {
      throw new SimulatorError(
        `no order ${orderId} in today's book; use an id from orders()`,
      );
    }
    if (!isOpen(order)) {
      throw new SimulatorError(
        `order ${orderId} is already ${order.status}; only open orders can change`,
      );
    }
    return order;
  }

  private match(instrument: Instrument | undefined): void {
    for (const order of this.book.values()) {
      if (!isOpen(order)) continue;
      if (instrument !== undefined && order.instrument !== instrument) continue;
      this.execute(order, false);
    }
  }

  /**
   * Tries to fill an open order at the current price. `entry` is true
   * when the order just arrived (placed, modified or triggered): a
   * marketable limit then fills at the better last price; a resting one
   * fills at its own limit when the price crosses it.
   */
  private execute(order: SimOrder, entry: boolean): void {
    const ltp = this.market.ltp(order.instrument);
    const buy = order.side === 'BUY';
    let atEntry = entry;

    if (
      (order.orderType === 'SL' || order.orderType === 'SL-M') &&
      !order.triggered
    ) {
      const hit = buy ? ltp >= order.triggerPrice : ltp <= order.triggerPrice;
      if (!hit) return;
      order.triggered = true;
      order.status = 'Triggered';
      order.statusMessage = 'STOPLOSS TRIGGER';
      order.updatedAt = this.options.now();
      order.history.push(snapshot(order));
      atEntry = true;
    }

    const atMarket = order.orderType === 'MARKET' || order.orderType === 'SL-M';
    let price = ltp;
    if (!atMarket) {
      const crosses = buy ? ltp <= order.price : ltp >= order.price;
      if (!crosses) {
        this.expireIoc(order);
        return;
      }
      price = atEntry ? ltp : order.price;
    }

    const open = pendingQuantity(order);
    let quantity = Math.min(open, this.options.maxFillPerTick);
    if (
      !atMarket &&
      !order.partlyFilled &&
      quantity >= 2 &&
      this.options.random.next() < this.options.partialFillRatio
    ) {
      const share = 0.3 + 0.4 * this.options.random.next();
      quantity = Math.min(open - 1, Math.max(1, Math.round(open * share)));
      order.partlyFilled = true;
    }
    this.fill(order, quantity, price);
    this.expireIoc(order);
  }

  /** IOC: whatever did not fill at once is cancelled. */
  private expireIoc(order: SimOrder): void {
    if (order.validity === 'IOC' && isOpen(order)) {
      this.close(order, 'Cancelled', 'IOC ORDER CANCELLED');
    }
  }

  private fill(order: SimOrder, quantity: number, price: number): void {
    const now = this.options.now();
    const filled = order.filledQuantity + quantity;
    order.averagePrice =
      (order.averagePrice * order.filledQuantity + price * quantity) / filled;
    order.filledQuantity = filled;
    this.account.recordFill(
      order.instrument,
      order.product,
      order.side,
      quantity,
      price,
    );
    const trade: SimTrade = {
      tradeId: formatTradeId(this.tradeSeq++),
      order,
      quantity,
      price,
      at: now,
    };
    this.dayTrades.push(trade);
    this.allTrades.push(trade);
    if (filled >= order.quantity) {
      order.status = 'Traded';
      order.statusMessage = 'TRADE CONFIRMED';
    }
    order.updatedAt = now;
    order.history.push(snapshot(order));
    this.options.logger.debug(
      { order_id: order.orderId, quantity, filled },
      'order filled',
    );
    this.changed();
  }

  private close(
    order: SimOrder,
    status: 'Cancelled' | 'Rejected',
    message: string,
  ): void {
    order.cancelledQuantity = order.quantity - order.filledQuantity;
    order.status = status;
    order.statusMessage = message;
    order.updatedAt = this.options.now();
    order.history.push(snapshot(order));
    this.changed();
  }

  private changed(): void {
    this.options.onChange?.();
  }

  private tickProblem(
    instrument: Instrument,
    prices: { price: number; triggerPrice: number },
  ): string | undefined {
    for (const [name, value] of [
      ['price', prices.price],
      ['trigger_price', prices.triggerPrice],
    ] as const) {
      if (value !== 0 && !isOnTick(value, instrument.tickSize)) {
        return `${name} ${value} is not a multiple of the tick size ${instrument.tickSize} for ${instrument.key}.`;
      }
    }
    return undefined;
  }

  /** Rupees an open order holds back, at its limit or the last price. */
  private blockFor(order: SimOrder): number {
    const open = pendingQuantity(order);
    const reference =
      order.orderType === 'LIMIT' || order.orderType === 'SL'
        ? order.price
        : order.orderType === 'SL-M'
          ? order.triggerPrice
          : this.market.ltp(order.instrument);
    if (isDelivery(order.product)) {
      return order.side === 'BUY' ? open * reference : 0;
    }
    // MIS: the part that closes an opposite position needs no money.
    const net = this.account.misNet(order.instrument);
    const offset = order.side === 'BUY' ? Math.max(0, -net) : Math.max(0, net);
    return Math.max(0, open - offset) * reference;
  }

  private blockedByOrders(except: SimOrder | undefined): number {
    let blocked = 0;
    for (const order of this.book.values()) {
      if (order !== except && isOpen(order)) blocked += this.blockFor(order);
    }
    return blocked;
  }

  /** The RMS text when `order` cannot be afforded or delivered. */
  private rmsProblem(order: SimOrder): string | undefined {
    const words = this.rmsPrefix(order);
    if (isDelivery(order.product) && order.side === 'SELL') {
      let sellable = this.account.deliverySellable(order.instrument.company);
      for (const other of this.book.values()) {
        if (
          other !== order &&
          isOpen(other) &&
          other.side === 'SELL' &&
          isDelivery(other.product) &&
          other.instrument.company === order.instrument.company
        ) {
          sellable -= pendingQuantity(other);
        }
      }
      const wanted = pendingQuantity(order);
      if (wanted > sellable) {
        return `${words},INSUFFICIENT HOLDINGS FOR DELIVERY SELL,AVAILABLE QUANTITY=${Math.max(0, sellable)},REQUIRED QUANTITY=${wanted}`;
      }
      return undefined;
    }
    const required = this.blockFor(order);
    if (required === 0) return undefined;
    const available =
      this.account.cash +
      this.account.misRealised() -
      this.account.misMargin() -
      this.blockedByOrders(order);
    if (required <= available + 0.005) return undefined;
    return (
      `${words},FUND LIMIT INSUFFICIENT,AVAILABLE FUND=${amount(available)}` +
      `,ADDITIONAL REQUIRED FUND=${amount(required - available)}` +
      `,CALCULATED MARGIN FOR ORDER=${amount(required)}`
    );
  }

  /** `RMS:<id>:NSE,EQUITY,1594,INFY,INTRADAY,,EQ,<client>,B,10,I,1250.00000`. */
  private rmsPrefix(order: SimOrder): string {
    const i = order.instrument;
    const reference = order.price > 0 ? order.price : this.market.ltp(i);
    return [
      `RMS:${order.orderId}:${i.exchange}`,
      'EQUITY',
      i.token,
      i.symbol,
      bookProductWord(order.product),
      '',
      'EQ',
      this.options.username,
      order.side === 'BUY' ? 'B' : 'S',
      order.quantity,
      'I',
      reference.toFixed(5),
    ].join(',');
  }

  private nextOrderId(now: number): string {
    const id = formatOrderId(now, this.orderSeq);
    this.orderSeq += 1;
    return id;
  }

  private nextExchangeOrderId(): string {
    return formatExchangeOrderId(this.exchangeSeq++);
  }
}

/** `3125` or `3125.5`: the RMS text prints amounts without padding. */
function amount(value: number): string {
  return String(Math.round(value * 100) / 100);
}
