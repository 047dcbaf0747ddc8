import { SimulatorError } from './errors.ts';
import { formatYymmdd } from './ist-time.ts';

/**
 * Order, exchange-order and trade ids of the paper broker. Clients (and
 * the alert de-duplication in Redis) take an id to mean one order for
 * good, so ids must never repeat: not after a restart, not on another day.
 *
 * Each counter starts at a value derived from the clock (centiseconds),
 * then counts up by one per id. A later start therefore begins above
 * every id issued before, unless ids were issued faster than 100 a
 * second on average; a restored counter (persisted state) covers that.
 */

const ORDER_ID_PREFIX = '111';
const ORDER_COUNTER_DIGITS = 7;
const ORDER_COUNTER_MAX = 10 ** ORDER_COUNTER_DIGITS - 1;
const IST_OFFSET_MS = (5 * 60 + 30) * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const EXCHANGE_ID_BASE = 1_100_000_000_000_000;
const TRADE_ID_BASE = 2_000_000_000_000;

/**
 * Added to a restored counter: ids issued after the last save that a
 * crash lost (the save is debounced) must not be handed out again.
 */
export const RESTORED_COUNTER_GAP = 1000;

/** First order counter of a start or day: centiseconds since IST midnight. */
export function orderCounterFloor(epochMs: number): number {
  const sinceMidnight =
    (((epochMs + IST_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS;
  return Math.floor(sinceMidnight / 10);
}

/** First exchange-order and trade counter: centiseconds since 1970. */
export function epochCounterFloor(epochMs: number): number {
  return Math.max(0, Math.floor(epochMs / 10));
}

/**
 * 16 digits: `111`, the IST date (yymmdd) and the 7-digit counter. The
 * counter leaves room for 1.3 million orders after the last centisecond
 * of a day, far beyond any rate limit.
 */
export function formatOrderId(epochMs: number, counter: number): string {
  if (counter > ORDER_COUNTER_MAX) {
    throw new SimulatorError(
      `order id counter is past ${ORDER_COUNTER_MAX} for today; the paper broker takes new orders again after IST midnight`,
    );
  }
  const seq = String(counter).padStart(ORDER_COUNTER_DIGITS, '0');
  return `${ORDER_ID_PREFIX}${formatYymmdd(epochMs)}${seq}`;
}

/** 16 digits, like the exchange's own order numbers. */
export function formatExchangeOrderId(counter: number): string {
  return String(EXCHANGE_ID_BASE + counter);
}

/** 13 digits (the live broker's are shorter; clients treat them as text). */
export function formatTradeId(counter: number): string {
  return String(TRADE_ID_BASE + counter);
}
