import { z } from 'zod';
import type { DayPosition, HoldingLot } from './account.ts';
import { SimulatorError } from './errors.ts';
import type { Company, Instrument } from './instruments.ts';
import type { Market, PriceState } from './market.ts';
import {
  ORDER_STATUSES,
  ORDER_TYPES,
  PRODUCTS,
  VALIDITIES,
  type SimOrder,
  type SimTrade,
} from './order.ts';

/**
 * The paper account as stored text, so that funds, holdings, the day's
 * books and prices outlive a restart. Instruments and companies are
 * stored by key (`NSE:INFY`) and ISIN and resolved against the market on
 * load. Credentials are never part of it: they are made fresh per start.
 */

/** Bump on any change a previous version's reader would misread. */
export const PAPER_STATE_VERSION = 1;

/** A stored state that cannot be used: unreadable, or another version. */
export class PaperStateError extends SimulatorError {
  override name = 'PaperStateError';
}

const amount = z.number();
const count = z.number().int().nonnegative();
const epochMs = z.number().int();

const snapshotSchema = z.object({
  at: epochMs,
  status: z.enum(ORDER_STATUSES),
  statusMessage: z.string(),
  orderType: z.enum(ORDER_TYPES),
  quantity: count,
  price: amount,
  triggerPrice: amount,
  filledQuantity: count,
  pendingQuantity: count,
  cancelledQuantity: count,
  averagePrice: amount,
});

const orderSchema = z.object({
  orderId: z.string().min(1),
  exchangeOrderId: z.string().min(1),
  /** `EXCHANGE:SYMBOL`. */
  instrument: z.string(),
  side: z.enum(['BUY', 'SELL']),
  orderType: z.enum(ORDER_TYPES),
  product: z.enum(PRODUCTS),
  validity: z.enum(VALIDITIES),
  quantity: count,
  disclosedQuantity: count,
  price: amount,
  triggerPrice: amount,
  filledQuantity: count,
  cancelledQuantity: count,
  averagePrice: amount,
  status: z.enum(ORDER_STATUSES),
  statusMessage: z.string(),
  tag: z.string().nullable(),
  placedAt: epochMs,
  updatedAt: epochMs,
  modified: z.boolean(),
  triggered: z.boolean(),
  partlyFilled: z.boolean(),
  history: z.array(snapshotSchema),
});

const paperStateSchema = z.object({
  version: z.literal(PAPER_STATE_VERSION),
  savedAt: epochMs,
  /** The trading day (IST date) the books belong to. */
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  /** The next value of each id counter (see ids.ts). */
  counters: z.object({ order: count, exchange: count, trade: count }),
  cash: amount,
  openingCash: amount,
  holdings: z.array(
    z.object({
      isin: z.string(),
      quantity: z.number().int(),
      averagePrice: amount,
    }),
  ),
  positions: z.array(
    z.object({
      instrument: z.string(),
      product: z.enum(PRODUCTS),
      buyQuantity: count,
      buyValue: amount,
      sellQuantity: count,
      sellValue: amount,
    }),
  ),
  prices: z.array(
    z.object({
      instrument: z.string(),
      ltp: amount,
      open: amount,
      high: amount,
      low: amount,
      close: amount,
    }),
  ),
  /** Today's book and every older order a stored trade belongs to. */
  orders: z.array(orderSchema),
  /** Ids of today's book, in placing order. */
  book: z.array(z.string()),
  /** Every fill since the account began, oldest first. */
  trades: z.array(
    z.object({
      tradeId: z.string().min(1),
      orderId: z.string().min(1),
      quantity: count,
      price: amount,
      at: epochMs,
    }),
  ),
  /** How many of the last `trades` are today's. */
  dayTradeCount: count,
});

export type PaperState = z.infer<typeof paperStateSchema>;
type OrderState = z.infer<typeof orderSchema>;

/** What the broker owns, in memory, that the state stores. */
export interface PaperParts {
  day: string;
  counters: PaperState['counters'];
  cash: number;
  openingCash: number;
  holdings: Iterable<HoldingLot>;
  positions: Iterable<DayPosition>;
  market: Market;
  book: Iterable<SimOrder>;
  trades: readonly SimTrade[];
  dayTradeCount: number;
}

/** The same parts rebuilt from a state, instruments resolved. */
export interface RestoredParts {
  day: string;
  counters: PaperState['counters'];
  cash: number;
  openingCash: number;
  holdings: HoldingLot[];
  positions: DayPosition[];
  prices: { instrument: Instrument; state: PriceState }[];
  book: SimOrder[];
  trades: SimTrade[];
  dayTradeCount: number;
}

export function capturePaperState(parts: PaperParts, now: number): PaperState {
  const book = [...parts.book];
  const orders = new Map<string, SimOrder>();
  for (const order of book) orders.set(order.orderId, order);
  for (const trade of parts.trades) {
    orders.set(trade.order.orderId, trade.order);
  }
  return {
    version: PAPER_STATE_VERSION,
    savedAt: now,
    day: parts.day,
    counters: { ...parts.counters },
    cash: parts.cash,
    openingCash: parts.openingCash,
    holdings: [...parts.holdings].map((lot) => ({
      isin: lot.company.isin,
      quantity: lot.quantity,
      averagePrice: lot.averagePrice,
    })),
    positions: [...parts.positions].map((p) => ({
      instrument: p.instrument.key,
      product: p.product,
      buyQuantity: p.buyQuantity,
      buyValue: p.buyValue,
      sellQuantity: p.sellQuantity,
      sellValue: p.sellValue,
    })),
    prices: parts.market.instruments.map((instrument) => ({
      instrument: instrument.key,
      ...parts.market.state(instrument),
    })),
    orders: [...orders.values()].map(orderToState),
    book: book.map((order) => order.orderId),
    trades: parts.trades.map((trade) => ({
      tradeId: trade.tradeId,
      orderId: trade.order.orderId,
      quantity: trade.quantity,
      price: trade.price,
      at: trade.at,
    })),
    dayTradeCount: parts.dayTradeCount,
  };
}

/** Reads stored text; throws {@link PaperStateError} saying what is wrong. */
export function parsePaperState(text: string): PaperState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PaperStateError('stored paper state is not valid JSON');
  }
  const version =
    typeof json === 'object' && json !== null && 'version' in json
      ? json.version
      : undefined;
  if (version !== PAPER_STATE_VERSION) {
    throw new PaperStateError(
      `stored paper state has version ${String(version)}; this simulator reads version ${PAPER_STATE_VERSION}`,
    );
  }
  const parsed = paperStateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PaperStateError(
      `stored paper state is malformed at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

/**
 * Resolves a parsed state against the market. Throws
 * {@link PaperStateError} when it names an instrument, company or order
 * that does not exist, so a caller can keep its own state untouched.
 */
export function restorePaperParts(
  state: PaperState,
  market: Market,
): RestoredParts {
  const instrument = (key: string) => {
    const found = market.find(key);
    if (found === undefined) {
      throw new PaperStateError(
        `stored paper state names ${key}, which the simulator does not list`,
      );
    }
    return found;
  };
  const companies = new Map<string, Company>();
  for (const listed of market.instruments) {
    companies.set(listed.company.isin, listed.company);
  }

  const orders = new Map<string, SimOrder>();
  for (const saved of state.orders) {
    orders.set(
      saved.orderId,
      orderFromState(saved, instrument(saved.instrument)),
    );
  }
  const order = (orderId: string) => {
    const found = orders.get(orderId);
    if (found === undefined) {
      throw new PaperStateError(
        `stored paper state refers to order ${orderId} but does not hold it`,
      );
    }
    return found;
  };
  if (state.dayTradeCount > state.trades.length) {
    throw new PaperStateError(
      'stored paper state counts more trades today than it holds',
    );
  }

  return {
    day: state.day,
    counters: { ...state.counters },
    cash: state.cash,
    openingCash: state.openingCash,
    holdings: state.holdings.map((lot) => {
      const company = companies.get(lot.isin);
      if (company === undefined) {
        throw new PaperStateError(
          `stored paper state holds ISIN ${lot.isin}, which the simulator does not list`,
        );
      }
      return {
        company,
        quantity: lot.quantity,
        averagePrice: lot.averagePrice,
      };
    }),
    positions: state.positions.map((p) => ({
      instrument: instrument(p.instrument),
      product: p.product,
      buyQuantity: p.buyQuantity,
      buyValue: p.buyValue,
      sellQuantity: p.sellQuantity,
      sellValue: p.sellValue,
    })),
    prices: state.prices.map(({ instrument: key, ...prices }) => ({
      instrument: instrument(key),
      state: prices,
    })),
    book: state.book.map(order),
    trades: state.trades.map((trade) => ({
      tradeId: trade.tradeId,
      order: order(trade.orderId),
      quantity: trade.quantity,
      price: trade.price,
      at: trade.at,
    })),
    dayTradeCount: state.dayTradeCount,
  };
}

function orderToState(order: SimOrder): OrderState {
  return {
    ...order,
    instrument: order.instrument.key,
    history: order.history.map((snapshot) => ({ ...snapshot })),
  };
}

function orderFromState(saved: OrderState, instrument: Instrument): SimOrder {
  return {
    ...saved,
    instrument,
    history: saved.history.map((snapshot) => ({ ...snapshot })),
  };
}
