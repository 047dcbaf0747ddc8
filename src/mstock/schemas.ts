import { z } from 'zod';
import {
  lenientBoolean,
  lenientNumber,
  lenientText,
  quantity,
  readText,
  requiredNumber,
  requiredText,
} from './lenient.ts';
import { BrokerError } from './errors.ts';
import { toOrderState } from './order-status.ts';
import {
  EXCHANGES,
  type Exchange,
  type Funds,
  type Holding,
  type InstrumentRef,
  type Order,
  type Position,
  type Quote,
  type Side,
  type Trade,
} from './types.ts';

/**
 * The Type A reply shapes, converted to the domain types of types.ts here
 * and nowhere else. Every schema is lenient about the spellings the broker
 * is known to use (see lenient.ts) and strict about what the product
 * needs: an order without an id, or a trade without a price, is a reply we
 * cannot read.
 */

// --- Envelope ------------------------------------------------------------

export type Envelope =
  | { ok: true; data: unknown }
  | { ok: false; errorType: string | null; message: string | null };

/** Both official SDKs read element 0 of an array-wrapped reply. */
export function unwrapArray(body: unknown): unknown {
  return Array.isArray(body) && body.length > 0 ? body[0] : body;
}

const envelopeSchema = z.object({
  status: z.union([z.string(), z.boolean()]),
  data: z.unknown().optional(),
  message: lenientText.catch(null),
  error_type: lenientText.catch(null),
});

/**
 * `{status:"success"|"error", data, message, error_type}`, possibly in a
 * one-element array. `status` is compared case-insensitively and Type B's
 * `true`/`false` is accepted. Returns `undefined` for anything that is not
 * an envelope (an ASP.NET error object, a bare array, HTML parsed by
 * accident).
 */
export function parseEnvelope(body: unknown): Envelope | undefined {
  const parsed = envelopeSchema.safeParse(unwrapArray(body));
  if (!parsed.success) return undefined;
  const { status, data, message, error_type } = parsed.data;
  const word = String(status).trim().toLowerCase();
  if (word === 'success' || word === 'true') return { ok: true, data };
  if (word === 'error' || word === 'false' || word === 'failure') {
    return { ok: false, errorType: error_type, message };
  }
  return undefined;
}

// --- Shared pieces -------------------------------------------------------

/** `null`, `"None"` and `""` where a list or object was expected. */
function isNothing(value: unknown): boolean {
  return value === null || value === undefined || readText(value) === null;
}

/** A row left out of a list: where and why, never its values. */
export interface RowMisfit {
  index: number;
  issues: string;
}

export interface ReadRows<T> {
  rows: T[];
  misfits: RowMisfit[];
}

/**
 * A list read row by row: a row that does not fit (an order without an
 * id, a holding without a name) is left out and described, so one odd row
 * does not hide the others from /panic, reconciliation or the watcher. A
 * reply that is not a list at all is still unreadable.
 */
function rowsOf<T extends z.ZodType>(row: T) {
  return z
    .preprocess((v) => (isNothing(v) ? [] : v), z.array(z.unknown()))
    .transform((values): ReadRows<z.output<T>> => {
      const rows: z.output<T>[] = [];
      const misfits: RowMisfit[] = [];
      values.forEach((value, index) => {
        const parsed = row.safeParse(value);
        if (parsed.success) rows.push(parsed.data);
        else misfits.push({ index, issues: describeIssues(parsed.error) });
      });
      return { rows, misfits };
    });
}

const exchangeOrNull = lenientText.transform((text): Exchange | null => {
  const upper = text?.toUpperCase();
  return (EXCHANGES as readonly string[]).includes(upper ?? '')
    ? (upper as Exchange)
    : null;
});

const side = lenientText.transform((text, ctx): Side => {
  const word = text?.toUpperCase();
  if (word === 'BUY' || word === 'B') return 'BUY';
  if (word === 'SELL' || word === 'S') return 'SELL';
  ctx.addIssue({ code: 'custom', message: 'expected BUY or SELL' });
  return z.NEVER;
});

/** Tags come as `[]`, `null`, `"None"` or the text we sent. */
const tag = z
  .unknown()
  .optional()
  .transform((v) => readText(v) ?? null);

// --- Auth ----------------------------------------------------------------

/** `connect/login`: flags as booleans or strings; nothing later needs it. */
export const loginReplySchema = z.preprocess(
  unwrapArray,
  z
    .object({
      cid: lenientText.catch(null),
      is_error: lenientBoolean.catch(null),
    })
    .nullable()
    .transform((d) => ({
      clientId: d?.cid ?? null,
      flaggedError: d?.is_error === true,
    })),
);

/** `session/verifytotp` and `session/token`. */
export const sessionReplySchema = z.preprocess(
  (v) => (isNothing(v) ? {} : unwrapArray(v)),
  z
    .object({ access_token: lenientText })
    .transform((d) => ({ accessToken: d.access_token })),
);

// --- Quotes --------------------------------------------------------------

const ohlcSchema = z
  .object({
    open: lenientNumber,
    high: lenientNumber,
    low: lenientNumber,
    close: lenientNumber,
  })
  .nullable()
  .catch(null);

const quoteRowSchema = z.preprocess(
  (v) => (isNothing(v) ? null : v),
  z
    .object({
      last_price: lenientNumber,
      ohlc: ohlcSchema,
      // A few builds flatten the OHLC block into the row.
      open: lenientNumber.catch(null),
      high: lenientNumber.catch(null),
      low: lenientNumber.catch(null),
      close: lenientNumber.catch(null),
    })
    .nullable(),
);

/** `instruments/quote/ohlc` and `/ltp`: keyed by the `EX:SYM` we sent. */
export const quotesDataSchema = z.preprocess(
  (v) => (isNothing(v) ? {} : v),
  z.record(z.string(), quoteRowSchema),
);
export type QuotesData = z.output<typeof quotesDataSchema>;

/** Unit of REST quote prices; the docs' sample looks like paise. */
export type QuotePriceUnit = 'rupees' | 'paise';

export function instrumentKey(ref: InstrumentRef): string {
  return `${ref.exchange}:${ref.symbol}`;
}

/**
 * Quotes in the order asked. The broker echoes the requested key; a
 * case-different echo or an NSE `-EQ` series suffix is matched too. An
 * instrument the broker answered `null` for (or left out) is
 * `found: false` with every price `null`.
 */
export function toQuotes(
  data: QuotesData,
  instruments: InstrumentRef[],
  unit: QuotePriceUnit = 'rupees',
): Quote[] {
  const byUpperKey = new Map<string, QuotesData[string]>();
  for (const [key, row] of Object.entries(data)) {
    byUpperKey.set(key.trim().toUpperCase(), row);
  }
  const price = (n: number | null) =>
    n === null ? null : unit === 'paise' ? n / 100 : n;
  return instruments.map((ref) => {
    const key = instrumentKey(ref).toUpperCase();
    const row =
      data[instrumentKey(ref)] ??
      byUpperKey.get(key) ??
      byUpperKey.get(`${key}-EQ`) ??
      null;
    return {
      exchange: ref.exchange,
      symbol: ref.symbol,
      found: row !== null,
      lastPrice: price(row?.last_price ?? null),
      open: price(row?.ohlc?.open ?? row?.open ?? null),
      high: price(row?.ohlc?.high ?? row?.high ?? null),
      low: price(row?.ohlc?.low ?? row?.low ?? null),
      close: price(row?.ohlc?.close ?? row?.close ?? null),
    };
  });
}

/**
 * `instruments/quote/ltp`: the same keyed rows without OHLC, so only the
 * last price is filled; open, high, low and close stay `null` even if a
 * build sends them, because the LTP call does not promise them.
 */
export function toLastPrices(
  data: QuotesData,
  instruments: InstrumentRef[],
  unit: QuotePriceUnit = 'rupees',
): Quote[] {
  return toQuotes(data, instruments, unit).map((quote) => ({
    ...quote,
    open: null,
    high: null,
    low: null,
    close: null,
  }));
}

// --- Funds, holdings, positions ------------------------------------------

const fundsRowSchema = z.object({
  AVAILABLE_BALANCE: lenientNumber,
  AMOUNT_UTILIZED: lenientNumber,
  LIMIT_SOD: lenientNumber,
});

/** `user/fundsummary`: one flat row of strings, inside an array. */
export const fundsSchema = z.preprocess(
  (v) => (isNothing(v) ? {} : unwrapArray(v)),
  fundsRowSchema.transform((row): Funds => ({
    availableCash: row.AVAILABLE_BALANCE,
    usedMargin: row.AMOUNT_UTILIZED,
    openingLimit: row.LIMIT_SOD,
  })),
);

const holdingRowSchema = z
  .object({
    tradingsymbol: requiredText,
    isin: lenientText,
    exchange: exchangeOrNull,
    quantity,
    average_price: lenientNumber,
    last_price: lenientNumber,
    close_price: lenientNumber,
  })
  .transform((row): Holding => ({
    name: row.tradingsymbol,
    isin: row.isin,
    exchange: row.exchange,
    quantity: row.quantity,
    averagePrice: row.average_price,
    lastPrice: row.last_price,
    closePrice: row.close_price,
  }));

/** `portfolio/holdings`: named by company; `"None"` when empty. */
export const holdingsSchema = rowsOf(holdingRowSchema);

const positionRowSchema = z
  .object({
    tradingsymbol: requiredText,
    exchange: lenientText,
    product: lenientText,
    quantity,
    average_price: lenientNumber,
    last_price: lenientNumber,
    pnl: lenientNumber,
    m2m: lenientNumber,
  })
  .transform((row): Position => ({
    exchange: row.exchange ?? '',
    symbol: row.tradingsymbol,
    product: row.product ?? '',
    quantity: row.quantity,
    averagePrice: row.average_price,
    lastPrice: row.last_price,
    // The doc sample carries the day's P&L in m2m with pnl 0.
    pnl: row.pnl === null || row.pnl === 0 ? (row.m2m ?? row.pnl) : row.pnl,
  }));

/** `portfolio/positions`: `{net: [...], day: null}`; `net` is used. */
export const positionsSchema = z.preprocess(
  (v) => (isNothing(v) ? {} : unwrapArray(v)),
  z
    .object({ net: rowsOf(positionRowSchema) })
    .transform((d): ReadRows<Position> => d.net),
);

// --- Orders and trades ---------------------------------------------------

const orderRowSchema = z
  .object({
    order_id: requiredText,
    exchange: lenientText,
    tradingsymbol: lenientText,
    transaction_type: side,
    order_type: lenientText,
    product: lenientText,
    quantity,
    filled_quantity: quantity,
    pending_quantity: lenientNumber,
    price: lenientNumber,
    trigger_price: lenientNumber,
    average_price: lenientNumber,
    status: lenientText,
    status_message: lenientText.catch(null),
    tag,
    order_timestamp: lenientText.catch(null),
  })
  .transform((row): Order => {
    const status = row.status ?? '';
    const state = toOrderState(status);
    const pending =
      row.pending_quantity ??
      (state === 'open' ? Math.max(0, row.quantity - row.filled_quantity) : 0);
    return {
      orderId: row.order_id,
      exchange: row.exchange ?? '',
      symbol: row.tradingsymbol ?? '',
      side: row.transaction_type,
      orderType: row.order_type ?? '',
      product: row.product ?? '',
      quantity: row.quantity,
      filledQuantity: row.filled_quantity,
      pendingQuantity: pending,
      price: row.price,
      triggerPrice: row.trigger_price,
      averagePrice: row.average_price,
      status,
      state,
      statusMessage: row.status_message,
      tag: row.tag,
      placedAt: row.order_timestamp,
    };
  });

/** `orders` (and `order/details`, whose rows are an order's history). */
export const ordersSchema = rowsOf(orderRowSchema);

/** `tradebook`: SCREAMING_SNAKE, `BUY_SELL` in title case. */
const tradeRowSchema = z
  .object({
    TRADE_NUMBER: requiredText,
    ORDER_NUMBER: requiredText,
    EXCHANGE: lenientText,
    SYMBOL: lenientText,
    // A company name; only used when SYMBOL is missing.
    FULL_SYMBOL: lenientText.catch(null),
    BUY_SELL: side,
    QUANTITY: requiredNumber,
    // The fill price, rupees (TRADE_VALUE is PRICE × QUANTITY).
    PRICE: requiredNumber,
    ORDER_DATE_TIME: lenientText.catch(null),
  })
  .transform((row): Trade => ({
    tradeId: row.TRADE_NUMBER,
    orderId: row.ORDER_NUMBER,
    exchange: row.EXCHANGE ?? '',
    symbol: row.SYMBOL ?? row.FULL_SYMBOL ?? '',
    side: row.BUY_SELL,
    quantity: row.QUANTITY,
    price: row.PRICE,
    time: row.ORDER_DATE_TIME,
  }));

/** `tradebook`: today's fills; `[]` or `"None"` when there are none. */
export const tradeBookSchema = rowsOf(tradeRowSchema);

/** `orders/regular` reply: `{order_id}` (some builds: `order_no`). */
export const placeOrderReplySchema = z.preprocess(
  unwrapArray,
  z
    .object({ order_id: lenientText, order_no: lenientText })
    .transform((d, ctx) => {
      const orderId = d.order_id ?? d.order_no;
      if (orderId === null) {
        ctx.addIssue({ code: 'custom', message: 'no order id in the reply' });
        return z.NEVER;
      }
      return { orderId };
    }),
);

/** Cancel and cancel-all answer an order id (never a count); unused. */
export const cancelReplySchema = z.unknown();

/**
 * A short, value-free description of why data did not fit a schema (a
 * broker reply, a job's data, a chat request), for logs and messages:
 * paths and expectations only, never the values. `data` names the root.
 */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map(
      (i) => `${i.path.length > 0 ? i.path.join('.') : 'data'}: ${i.message}`,
    )
    .join('; ');
}

/** Converts an envelope's `data`; a misfit is a 'protocol' error. */
export function parseData<T extends z.ZodType>(
  schema: T,
  data: unknown,
  endpoint: string,
): z.output<T> {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw new BrokerError(
    'protocol',
    `mStock sent a reply this bot cannot read (${endpoint}: ${describeIssues(parsed.error)}).`,
    { endpoint },
  );
}
