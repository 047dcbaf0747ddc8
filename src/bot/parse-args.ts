import type { InstrumentRef, Product } from '../mstock/types.ts';

/**
 * Chat input checked at the edge. Each parser returns either the value or
 * a short, plain-text hint saying what to type instead (callers escape it
 * like any other dynamic text).
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export const MAX_QUOTE_SYMBOLS = 10;
/** A fat-finger guard, not a broker limit. */
export const MAX_ORDER_QTY = 100_000;
/** Rupees; no NSE/BSE cash share trades near this. */
const MAX_PRICE = 10_000_000;

const SYMBOL = /^(?:([A-Z]+):)?([A-Z0-9][A-Z0-9&-]{0,39})$/;
const ORDER_ID = /^\d{1,32}$/;

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(error: string): Parsed<T> => ({ ok: false, error });

/** Words of a command's argument text; any run of spaces separates. */
export function splitArgs(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== '');
}

/** `m&m` → NSE:M&M, `bse:infy` → BSE:INFY. */
export function parseSymbol(word: string): Parsed<InstrumentRef> {
  const match = SYMBOL.exec(word.toUpperCase());
  if (match === null) {
    return fail(
      `"${word}" is not a symbol. Use letters, digits, & and -, optionally after NSE: or BSE:, e.g. INFY, NSE:M&M, BSE:BAJAJ-AUTO.`,
    );
  }
  const [, exchange = 'NSE', symbol = ''] = match;
  if (exchange !== 'NSE' && exchange !== 'BSE') {
    return fail(`"${word}": only NSE: and BSE: are supported.`);
  }
  return ok({ exchange, symbol });
}

/** Up to {@link MAX_QUOTE_SYMBOLS} symbols; repeats are asked once. */
export function parseSymbols(text: string): Parsed<InstrumentRef[]> {
  const words = splitArgs(text);
  if (words.length === 0) {
    return fail('Name at least one symbol, e.g. /quote INFY NSE:M&M.');
  }
  if (words.length > MAX_QUOTE_SYMBOLS) {
    return fail(`At most ${MAX_QUOTE_SYMBOLS} symbols at a time.`);
  }
  const seen = new Set<string>();
  const instruments: InstrumentRef[] = [];
  for (const word of words) {
    const parsed = parseSymbol(word);
    if (!parsed.ok) return parsed;
    const key = `${parsed.value.exchange}:${parsed.value.symbol}`;
    if (seen.has(key)) continue;
    seen.add(key);
    instruments.push(parsed.value);
  }
  return ok(instruments);
}

export interface OrderArgs {
  instrument: InstrumentRef;
  quantity: number;
  /** Absent: a market order. */
  price: number | undefined;
  product: Product;
}

export function orderUsage(command: string): string {
  return `Usage: /${command} SYMBOL QTY [PRICE] [CNC|MIS], e.g. /${command} INFY 5 1510.05 MIS. No price means a market order; CNC is the default.`;
}

function parseQuantity(word: string): Parsed<number> {
  const qty = /^\d{1,9}$/.test(word) ? Number(word) : NaN;
  if (!Number.isInteger(qty) || qty < 1 || qty > MAX_ORDER_QTY) {
    return fail(
      `Quantity "${word}" must be a whole number from 1 to ${MAX_ORDER_QTY}.`,
    );
  }
  return ok(qty);
}

function parsePrice(word: string): Parsed<number> {
  const price = /^\d{1,9}(\.\d{1,2})?$/.test(word) ? Number(word) : NaN;
  if (!Number.isFinite(price) || price <= 0 || price > MAX_PRICE) {
    return fail(
      `Price "${word}" must be a number above 0 with at most 2 decimals, e.g. 1510.05.`,
    );
  }
  return ok(price);
}

/**
 * `SYMBOL QTY [PRICE] [CNC|MIS]`. Tolerated: any spacing, lower case,
 * `@ 1500` or `@1500` for the price, product before the price.
 */
export function parseOrderArgs(
  command: string,
  text: string,
): Parsed<OrderArgs> {
  const [symbolWord, qtyWord, ...rest] = splitArgs(text);
  if (symbolWord === undefined || qtyWord === undefined) {
    return fail(orderUsage(command));
  }
  const instrument = parseSymbol(symbolWord);
  if (!instrument.ok) return instrument;
  const quantity = parseQuantity(qtyWord);
  if (!quantity.ok) return quantity;

  let price: number | undefined;
  let product: Product | undefined;
  for (const raw of rest) {
    const word = raw.startsWith('@') ? raw.slice(1) : raw;
    if (word === '') continue;
    const upper = word.toUpperCase();
    if ((upper === 'CNC' || upper === 'MIS') && product === undefined) {
      product = upper;
    } else if (/^[\d.]+$/.test(word) && price === undefined) {
      const parsed = parsePrice(word);
      if (!parsed.ok) return parsed;
      price = parsed.value;
    } else {
      return fail(`Did not understand "${raw}". ${orderUsage(command)}`);
    }
  }
  return ok({
    instrument: instrument.value,
    quantity: quantity.value,
    price,
    product: product ?? 'CNC',
  });
}

/**
 * One order id as /orders shows it. Type A ids are digits (13 of them
 * today); anything else is a typo, answered with a hint instead of a
 * pointless look-up.
 */
export function parseOrderId(text: string): Parsed<string> {
  const words = splitArgs(text);
  const [id] = words;
  if (words.length !== 1 || id === undefined) {
    return fail(
      'Usage: /cancel ORDER_ID, with the id as /orders shows it, e.g. /cancel 1161231234567.',
    );
  }
  if (!ORDER_ID.test(id)) {
    return fail(
      `"${id}" is not an order id: ids are digits only, as /orders shows them, e.g. /cancel 1161231234567.`,
    );
  }
  return ok(id);
}
