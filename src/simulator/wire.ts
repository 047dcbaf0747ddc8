import {
  buyAverage,
  dayPnl,
  netQuantity,
  openingPrice,
  realisedPnl,
  sellAverage,
  type DayPosition,
  type HoldingLot,
} from './account.ts';
import type { Instrument } from './instruments.ts';
import {
  formatDmy12h,
  formatDmyTime,
  formatIstClock,
  formatYmdTime,
} from './ist-time.ts';
import type { Market, PriceState } from './market.ts';
import {
  bookProductWord,
  pendingQuantity,
  type OrderSnapshot,
  type SimOrder,
  type SimTrade,
} from './order.ts';
import type { FundFigures } from './paper-broker.ts';

/**
 * The simulator's records in Type A wire shapes, field for field as the
 * reference samples show them: snake_case books, SCREAMING_SNAKE trade
 * book and funds, company names where the broker puts them, and each
 * endpoint's own spelling of null, booleans and timestamps.
 */

export type QuotePriceUnit = 'rupees' | 'paise';
/** How the order book echoes a client tag: the broker's is unconfirmed. */
export type TagEcho = 'string' | 'array' | 'none';

export interface OhlcEntry {
  instrument_token: number;
  last_price: number;
  ohlc: { open: number; high: number; low: number; close: number };
}

export interface LtpEntry {
  instrument_token: number;
  last_price: number;
}

/** One `GET orders` row. */
export interface BookOrderRow {
  placed_by: string;
  order_id: string;
  exchange_order_id: string;
  parent_order_id: null;
  status: string;
  status_message: string;
  status_message_raw: null;
  order_timestamp: string;
  exchange_update_timestamp: string | null;
  exchange_timestamp: string | null;
  variety: null;
  /** A string, `"false"`/`"true"`, in the book. */
  modified: string;
  exchange: string;
  tradingsymbol: string;
  instrument_token: number;
  order_type: string;
  transaction_type: string;
  validity: string;
  product: string;
  quantity: number;
  disclosed_quantity: number;
  price: number;
  trigger_price: number;
  average_price: number;
  filled_quantity: number;
  pending_quantity: number;
  cancelled_quantity: number;
  market_protection: number;
  meta: { demat_consent: string };
  tag: string | string[];
  guid: string;
}

export function ohlcEntry(
  instrument: Instrument,
  state: PriceState,
  unit: QuotePriceUnit,
): OhlcEntry {
  const price = (rupees: number) => inUnit(rupees, unit);
  return {
    instrument_token: instrument.token,
    last_price: price(state.ltp),
    ohlc: {
      open: price(state.open),
      high: price(state.high),
      low: price(state.low),
      close: price(state.close),
    },
  };
}

export function ltpEntry(
  instrument: Instrument,
  state: PriceState,
  unit: QuotePriceUnit,
): LtpEntry {
  return {
    instrument_token: instrument.token,
    last_price: inUnit(state.ltp, unit),
  };
}

export function bookOrderRow(
  order: SimOrder,
  placedBy: string,
  tagEcho: TagEcho,
): BookOrderRow {
  const accepted = order.exchangeOrderId !== '0';
  const changed = order.updatedAt !== order.placedAt;
  return {
    placed_by: placedBy,
    order_id: order.orderId,
    exchange_order_id: order.exchangeOrderId,
    parent_order_id: null,
    status: order.status,
    status_message: order.statusMessage,
    status_message_raw: null,
    order_timestamp: formatDmyTime(order.placedAt),
    exchange_update_timestamp:
      accepted && changed ? formatDmyTime(order.updatedAt) : null,
    exchange_timestamp: accepted ? formatDmyTime(order.placedAt) : null,
    variety: null,
    modified: order.modified ? 'true' : 'false',
    exchange: order.instrument.exchange,
    tradingsymbol: order.instrument.symbol,
    instrument_token: order.instrument.token,
    order_type: order.orderType,
    transaction_type: order.side,
    validity: order.validity,
    product: bookProductWord(order.product),
    quantity: order.quantity,
    disclosed_quantity: order.disclosedQuantity,
    price: round2(order.price),
    trigger_price: round2(order.triggerPrice),
    average_price: round2(order.averagePrice),
    filled_quantity: order.filledQuantity,
    pending_quantity: pendingQuantity(order),
    cancelled_quantity: order.cancelledQuantity,
    market_protection: 0,
    meta: { demat_consent: 'physical' },
    tag: bookTag(order.tag, tagEcho),
    guid: '',
  };
}

/** `order/details`: the order's states, newest first. */
export function orderDetailRows(order: SimOrder, tagEcho: TagEcho) {
  return [...order.history]
    .reverse()
    .map((state) => orderDetailRow(order, state, tagEcho));
}

function orderDetailRow(
  order: SimOrder,
  state: OrderSnapshot,
  tagEcho: TagEcho,
) {
  return {
    average_price: round2(state.averagePrice),
    cancelled_quantity: state.cancelledQuantity,
    disclosed_quantity: order.disclosedQuantity,
    exchange: order.instrument.exchange,
    exchange_order_id: order.exchangeOrderId,
    exchange_timestamp: null,
    filled_quantity: state.filledQuantity,
    // The details endpoint reports 0 here, unlike the book.
    instrument_token: 0,
    order_id: order.orderId,
    order_timestamp: formatDmy12h(state.at),
    order_type: state.orderType,
    parent_order_id: null,
    pending_quantity: state.pendingQuantity,
    price: round2(state.price),
    product: order.product,
    quantity: state.quantity,
    status: state.status,
    status_message: state.statusMessage,
    tag: tagEcho === 'none' ? null : order.tag,
    tradingsymbol: order.instrument.symbol,
    transaction_type: order.side,
    trigger_price: round2(state.triggerPrice),
    validity: order.validity,
    variety: null,
    // A real boolean here, a string in the book.
    modified: order.modified,
  };
}

/** `trades` (history): company names cut to 25 characters, as seen live. */
export function tradeHistoryRow(trade: SimTrade) {
  const order = trade.order;
  return {
    trade_id: trade.tradeId,
    // This endpoint puts the exchange's order number in `order_id`.
    order_id: order.exchangeOrderId,
    exchange: order.instrument.exchange,
    tradingsymbol: order.instrument.company.name.slice(0, 25),
    instrument_token: 0,
    product: order.product,
    average_price: round2(trade.price),
    quantity: trade.quantity,
    exchange_order_id: order.exchangeOrderId,
    transaction_type: order.side,
    fill_timestamp: formatIstClock(trade.at),
    order_timestamp: formatYmdTime(order.placedAt),
    exchange_timestamp: formatYmdTime(trade.at),
  };
}

/** `tradebook` (today): the SCREAMING_SNAKE shape shared with Type B. */
export function tradeBookRow(trade: SimTrade, clientId: string) {
  const order = trade.order;
  const instrument = order.instrument;
  return {
    ALGO_ID: '0',
    BUY_SELL: order.side === 'BUY' ? 'Buy' : 'Sell',
    CLIENT_ID: clientId,
    ENCASH_FLG: 'N',
    EXCHANGE: instrument.exchange,
    EXCH_ORDER_NUMBER: order.exchangeOrderId,
    EXPIRY_DATE: '0',
    FULL_SYMBOL: instrument.company.name,
    GTC_FLG: 'N',
    INSTRUMENT_NAME: 'EQUITY',
    MKT_PROTECT_FLG: 'N',
    MKT_PROTECT_VAL: 0,
    MKT_TYPE: 'NL',
    OPT_TYPE: 'XX',
    ORDER_DATE_TIME: formatDmyTime(order.placedAt),
    ORDER_NUMBER: order.orderId,
    ORDER_TYPE: order.orderType,
    PAN_NO: 'PAPER0000P',
    PARTICIPANT_TYPE: 'B',
    PRICE: round2(trade.price),
    PRODUCT: bookProductWord(order.product),
    QUANTITY: trade.quantity,
    R: 1,
    REMARKS1: 'NA',
    REMARKS2: 'NA',
    SEC_ID: String(instrument.token),
    SEGMENT: 'E',
    SETTLOR: '90144',
    SOURCE_FLG: 'API',
    STRIKE_PRICE: 0,
    SYMBOL: instrument.symbol,
    TRADE_NUMBER: trade.tradeId,
    TRADE_VALUE: round2(trade.price * trade.quantity),
  };
}

/** `portfolio/holdings`: named by company; exchange and product null. */
export function holdingRow(lot: HoldingLot, market: Market, soldToday: number) {
  const listing = market.findListing('NSE', lot.company.symbol);
  const state = listing === undefined ? undefined : market.state(listing);
  const last = state?.ltp ?? lot.averagePrice;
  const close = state?.close ?? last;
  return {
    tradingsymbol: lot.company.name,
    exchange: null,
    instrument_token: lot.company.nseToken,
    isin: lot.company.isin,
    product: null,
    price: round2(lot.averagePrice),
    quantity: lot.quantity,
    used_quantity: Math.min(lot.quantity, soldToday),
    t1_quantity: 0,
    realised_quantity: lot.quantity,
    authorised_quantity: 0,
    authorised_date: null,
    opening_quantity: lot.quantity,
    collateral_quantity: 0,
    collateral_type: null,
    discrepancy: false,
    average_price: round2(lot.averagePrice),
    last_price: round2(last),
    close_price: round2(close),
    pnl: round2((last - lot.averagePrice) * lot.quantity),
    day_change: round2(last - close),
    day_change_percentage:
      close === 0 ? 0 : round2(((last - close) / close) * 100),
  };
}

/** One `portfolio/positions` net row. */
export function positionRow(position: DayPosition, market: Market) {
  const instrument = position.instrument;
  const state = market.state(instrument);
  const net = netQuantity(position);
  const m2m = dayPnl(position, state.ltp);
  const realised = realisedPnl(position);
  const buyPrice = round2(buyAverage(position));
  const sellPrice = round2(sellAverage(position));
  return {
    tradingsymbol: instrument.symbol,
    exchange: instrument.exchange,
    instrument_token: instrument.token,
    product: position.product,
    quantity: net,
    overnight_quantity: 0,
    multiplier: 1,
    average_price: round2(openingPrice(position)),
    close_price: round2(state.close),
    last_price: round2(state.ltp),
    value: round2(position.buyValue - position.sellValue),
    pnl: round2(m2m),
    m2m: round2(m2m),
    unrealised: round2(m2m - realised),
    realised: round2(realised),
    buy_quantity: position.buyQuantity,
    buy_price: buyPrice,
    buy_value: round2(position.buyValue),
    buy_m2m: 0,
    sell_quantity: position.sellQuantity,
    sell_price: sellPrice,
    sell_value: round2(position.sellValue),
    sell_m2m: 0,
    day_buy_quantity: position.buyQuantity,
    day_buy_price: buyPrice,
    day_buy_value: round2(position.buyValue),
    day_sell_quantity: position.sellQuantity,
    day_sell_price: sellPrice,
    day_sell_value: round2(position.sellValue),
  };
}

/** `user/fundsummary`: one flat row, every amount a quoted string. */
export function fundsRow(funds: FundFigures) {
  const available = money(funds.available);
  return {
    ADDITIONAL_MARGIN: null,
    ADHOC_LIMIT: '0.0',
    AMOUNT_UTILIZED: money(funds.utilised),
    AVAILABLE_BALANCE: available,
    BANK_HOLDING: '0.0',
    CLEAR_BALANCE: money(funds.cash),
    COLLATERALS: null,
    LIMIT_SOD: money(funds.openingCash),
    LIMIT_TYPE: 'CAPITAL',
    MF_COLLATERAL: '0.0',
    MTF_AVAILABLE_BALANCE: available,
    MTF_COLLATERAL: '0.0',
    MTF_UTILIZE: '0.0',
    MTM_COMBINED: null,
    OFS_UTILIZED: null,
    // Misspelt on the wire.
    OPT_BUY_PRIMIUM_UTILIZE: '0.0',
    PAY_OUT_AMT: '0.0',
    PEAK_MARGIN: money(funds.utilised),
    PHYSICAL_MARGIN: null,
    REALISED_PROFITS:
      funds.realisedToday === 0 ? null : money(funds.realisedToday),
    RECEIVABLES: null,
    SEG: 'A',
    SUM_OF_ALL: available,
    UNCLEAR_BALANCE: null,
  };
}

export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** `1000000.0`, `12345.67`: how the funds row prints numbers. */
export function money(value: number): string {
  const rounded = round2(value);
  return Number.isInteger(rounded) ? `${rounded}.0` : String(rounded);
}

function inUnit(rupees: number, unit: QuotePriceUnit): number {
  return unit === 'paise' ? Math.round(rupees * 100) : round2(rupees);
}

function bookTag(tag: string | null, echo: TagEcho): string | string[] {
  if (tag === null || echo === 'none') return [];
  return echo === 'array' ? [tag] : tag;
}
