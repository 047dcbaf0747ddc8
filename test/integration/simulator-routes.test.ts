import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  startSimulator,
  type BookOrderRow,
  type SimulatorOptions,
} from '../../src/simulator/simulator.ts';
import {
  ist,
  openSimSession,
  type SimSession as Session,
} from '../support/sim-session.ts';

/**
 * Every data route's wire shape, read with plain JSON: snake_case books,
 * title-case statuses, funds as strings, company names in holdings,
 * SCREAMING_SNAKE trade book, quote keys echoing the request.
 */

type Row = Record<string, unknown>;

interface QuoteEntry {
  instrument_token: number;
  last_price: number;
  ohlc: Record<string, number>;
}

/** The envelope, with `data` typed by each caller. */
interface Envelope<T> {
  status: string;
  message: string;
  error_type: string;
  data: T;
}

/** This file's defaults: its own clock start and seed, whole fills. */
function open(options: SimulatorOptions = {}): Promise<Session> {
  return openSimSession({
    at: ist(2025, 2, 6, 10, 30),
    seed: 3,
    partialFillRatio: 0,
    ...options,
  });
}

async function call<T = Row>(
  s: Session,
  method: string,
  pathAndQuery: string,
  form?: Record<string, string>,
) {
  const headers: Record<string, string> = {
    'X-Mirae-Version': '1',
    Authorization: `token ${s.sim.credentials.apiKey}:${s.token}`,
  };
  let body: string | undefined;
  if (form !== undefined) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  }
  const res = await fetch(`${s.sim.baseUrl}/${pathAndQuery}`, {
    method,
    headers,
    body,
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  const json = JSON.parse(text) as Envelope<T>;
  return { status: res.status, headers: res.headers, json };
}

async function placeOrder(s: Session, fields: Record<string, string>) {
  const reply = await call<{ order_id: string }>(s, 'POST', 'orders/regular', {
    exchange: 'NSE',
    transaction_type: 'BUY',
    order_type: 'MARKET',
    product: 'CNC',
    validity: 'DAY',
    price: '0',
    trigger_price: '0',
    ...fields,
  });
  assert.equal(reply.json.status, 'success', JSON.stringify(reply.json));
  return reply.json.data.order_id;
}

describe('simulator data routes', () => {
  let s: Session;
  before(async () => {
    s = await open();
  });
  after(async () => {
    await s.sim.close();
  });

  it('quotes OHLC for repeated i, echoing keys and null for unknown', async () => {
    s.sim.setPrice('NSE:M&M', 3012.4);
    const reply = await call<Record<string, QuoteEntry | null>>(
      s,
      'GET',
      'instruments/quote/ohlc?i=NSE%3AM%26M&i=BSE%3AINFY&i=NSE%3ANOSUCH',
    );
    assert.equal(reply.status, 200);
    const data = reply.json.data;
    assert.deepEqual(Object.keys(data), ['NSE:M&M', 'BSE:INFY', 'NSE:NOSUCH']);
    assert.equal(data['NSE:NOSUCH'], null);
    const mm = data['NSE:M&M']!;
    assert.equal(mm.instrument_token, 2031);
    assert.equal(mm.last_price, 3012.4);
    for (const field of ['open', 'high', 'low', 'close']) {
      assert.equal(typeof mm.ohlc[field], 'number', field);
    }
    assert.ok(mm.ohlc.high! >= mm.last_price && mm.ohlc.low! <= mm.last_price);
    assert.equal(data['BSE:INFY']?.instrument_token, 500209);
  });

  it('sees a raw & as two instruments, so M&M must be encoded', async () => {
    const reply = await call(s, 'GET', 'instruments/quote/ltp?i=NSE:M&M');
    assert.deepEqual(reply.json.data, {
      'NSE:M': null,
    });
    const journal = s.sim.requests.at(-1)!;
    assert.deepEqual(journal.query.i, ['NSE:M']);
    assert.deepEqual(journal.query.M, ['']);
  });

  it('quotes LTP for the odd symbols and the penny stock', async () => {
    s.sim.setPrice('NSE:IDEA', 6.98);
    const keys = ['NSE:BAJAJ-AUTO', 'NSE:NAM-INDIA', 'NSE:M&MFIN', 'NSE:IDEA'];
    const query = keys.map((k) => `i=${encodeURIComponent(k)}`).join('&');
    const reply = await call<Record<string, QuoteEntry>>(
      s,
      'GET',
      `instruments/quote/ltp?${query}`,
    );
    assert.deepEqual(Object.keys(reply.json.data), keys);
    for (const key of keys) {
      const entry = reply.json.data[key]!;
      assert.deepEqual(Object.keys(entry).sort(), [
        'instrument_token',
        'last_price',
      ]);
      assert.ok(entry.last_price > 0);
    }
    assert.equal(reply.json.data['NSE:IDEA']?.last_price, 6.98);
  });

  it('asks for at least one instrument', async () => {
    const reply = await call(s, 'GET', 'instruments/quote/ltp');
    assert.equal(reply.status, 400);
    assert.equal(reply.json.error_type, 'InputException');
  });

  it('reports funds as a one-row array of strings', async () => {
    const reply = await call<Row[]>(s, 'GET', 'user/fundsummary');
    assert.equal(reply.status, 200);
    assert.equal(reply.json.data.length, 1);
    const row = reply.json.data[0]!;
    assert.equal(row.AVAILABLE_BALANCE, '1000000.0');
    assert.equal(row.AMOUNT_UTILIZED, '0.0');
    assert.equal(row.LIMIT_SOD, '1000000.0');
    assert.ok('OPT_BUY_PRIMIUM_UTILIZE' in row, 'the misspelt field is kept');
    for (const [key, value] of Object.entries(row)) {
      assert.ok(value === null || typeof value === 'string', key);
    }
  });

  it('names holdings by company with exchange and product null', async () => {
    const reply = await call<Row[]>(s, 'GET', 'portfolio/holdings');
    const rows = reply.json.data;
    const itc = rows.find((r) => r.isin === 'INE154A01025');
    assert.ok(itc, JSON.stringify(rows));
    assert.equal(itc.tradingsymbol, 'ITC LIMITED');
    assert.equal(itc.exchange, null);
    assert.equal(itc.product, null);
    assert.equal(itc.instrument_token, 1660);
    assert.equal(itc.quantity, 50);
    assert.equal(itc.average_price, 398.2);
    assert.equal(typeof itc.last_price, 'number');
    assert.equal(typeof itc.close_price, 'number');
    assert.equal(itc.discrepancy, false);
    assert.ok(rows.some((r) => r.tradingsymbol === 'BANK OF MAHARASHTRA'));
  });

  it('books a market order and shows it in every book', async () => {
    s.sim.setPrice('NSE:INFY', 1562.4);
    const orderId = await placeOrder(s, {
      tradingsymbol: 'INFY',
      quantity: '3',
      product: 'MIS',
      tag: 'tg_1',
    });
    assert.match(orderId, /^\d{16}$/);

    const book = await call<BookOrderRow[]>(s, 'GET', 'orders');
    const row = book.json.data.find((o) => o.order_id === orderId);
    assert.ok(row);
    assert.equal(row.status, 'Traded');
    assert.equal(row.status_message, 'TRADE CONFIRMED');
    assert.equal(row.product, 'INTRADAY');
    assert.equal(row.modified, 'false');
    assert.equal(row.variety, null);
    assert.equal(row.tag, 'tg_1');
    assert.equal(row.placed_by, 'PAPER1');
    assert.equal(row.average_price, 1562.4);
    assert.equal(row.filled_quantity, 3);
    assert.equal(row.pending_quantity, 0);
    assert.match(row.order_timestamp, /^06-02-2025 10:30:00$/);
    assert.match(row.exchange_order_id, /^\d{16}$/);

    const details = await call<Row[]>(s, 'POST', 'order/details', {
      order_no: orderId,
      segment: 'E',
    });
    const states = details.json.data;
    assert.deepEqual(
      states.map((d) => d.status),
      ['Traded', 'Pending'],
    );
    assert.equal(states[0]?.modified, false);
    assert.equal(states[0]?.instrument_token, 0);
    assert.equal(states[0]?.order_timestamp, '06-02-2025 10:30:00 AM');

    const viaGet = await call(s, 'GET', `order/details?order_no=${orderId}`);
    assert.deepEqual(viaGet.json.data, states);

    const tradebook = await call<Row[]>(s, 'GET', 'tradebook');
    const trade = tradebook.json.data.find((t) => t.ORDER_NUMBER === orderId);
    assert.ok(trade);
    assert.equal(trade.BUY_SELL, 'Buy');
    assert.equal(trade.SYMBOL, 'INFY');
    assert.equal(trade.FULL_SYMBOL, 'INFOSYS LIMITED');
    assert.equal(trade.SEC_ID, '1594');
    assert.equal(trade.PRICE, 1562.4);
    assert.equal(trade.QUANTITY, 3);
    assert.equal(trade.TRADE_VALUE, 4687.2);
    assert.match(String(trade.TRADE_NUMBER), /^\d{13}$/);

    const trades = await call<Row[]>(s, 'POST', 'trades', {
      fromdate: '2025-02-06',
      todate: '2025-02-06',
    });
    const history = trades.json.data.find(
      (t) => t.exchange_order_id === row.exchange_order_id,
    );
    assert.ok(history);
    assert.equal(history.tradingsymbol, 'INFOSYS LIMITED');
    assert.equal(history.order_id, row.exchange_order_id);
    assert.equal(history.fill_timestamp, '10:30:00');
    assert.equal(history.order_timestamp, '2025-02-06 10:30:00');
    const earlier = await call(
      s,
      'GET',
      'trades?fromdate=2025-02-01&todate=2025-02-05',
    );
    assert.deepEqual(earlier.json.data, []);

    type Positions = { net: Row[]; day: null };
    const positions = await call<Positions>(s, 'GET', 'portfolio/positions');
    assert.equal(positions.json.data.day, null);
    const net = positions.json.data.net.find((p) => p.tradingsymbol === 'INFY');
    assert.ok(net);
    assert.equal(net.product, 'MIS');
    assert.equal(net.quantity, 3);
    assert.equal(net.buy_quantity, 3);
    assert.equal(net.average_price, 1562.4);
    s.sim.setPrice('NSE:INFY', 1572.4);
    const marked = await call<Positions>(s, 'GET', 'portfolio/positions');
    assert.equal(marked.json.data.net[0]?.m2m, 30);

    const funds = await call<Row[]>(s, 'GET', 'user/fundsummary');
    assert.equal(funds.json.data[0]?.AMOUNT_UTILIZED, '4687.2');
    assert.equal(funds.json.data[0]?.AVAILABLE_BALANCE, '995312.8');
  });

  it('answers an unknown order with null details', async () => {
    const reply = await call(s, 'POST', 'order/details', {
      order_no: '1112502069999',
    });
    assert.deepEqual(reply.json, { status: 'success', data: null });
    const missing = await call(s, 'POST', 'order/details', {});
    assert.equal(missing.status, 400);
    assert.match(missing.json.message, /order_no is required/);
  });

  it('refuses a trade date that is not YYYY-MM-DD', async () => {
    const reply = await call(s, 'GET', 'trades?fromdate=06-02-2025');
    assert.equal(reply.status, 400);
    assert.match(reply.json.message, /fromdate must be a date/);
  });

  it('answers unknown routes and wrong methods with an envelope', async () => {
    const unknown = await call(s, 'GET', 'limits/getCashLimits');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.status, 'error');
    assert.match(unknown.json.message, /limits\/getCashLimits/);
    const wrong = await call(s, 'DELETE', 'orders');
    assert.equal(wrong.status, 405);
    assert.equal(wrong.json.status, 'error');
    assert.equal(wrong.headers.get('allow'), 'GET');
  });
});

describe('simulator wire options', () => {
  it('quotes in integer paise when asked', async () => {
    const s = await open({ quotePriceUnit: 'paise' });
    try {
      s.sim.setPrice('NSE:ACC', 1957);
      const reply = await call<Record<string, QuoteEntry>>(
        s,
        'GET',
        'instruments/quote/ohlc?i=NSE%3AACC',
      );
      const acc = reply.json.data['NSE:ACC']!;
      assert.equal(acc.last_price, 195700);
      assert.ok(Number.isInteger(acc.ohlc.open));
    } finally {
      await s.sim.close();
    }
  });

  it('sends empty holdings as [] or as "None"', async () => {
    for (const [emptyHoldings, expected] of [
      ['array', []],
      ['none', 'None'],
    ] as const) {
      const s = await open({ holdings: [], emptyHoldings });
      try {
        const reply = await call(s, 'GET', 'portfolio/holdings');
        assert.deepEqual(reply.json.data, expected);
      } finally {
        await s.sim.close();
      }
    }
  });

  it('echoes the tag as a string, an array, or not at all', async () => {
    for (const [tagEcho, book, details] of [
      ['array', ['t9'], 't9'],
      ['none', [], null],
    ] as const) {
      const s = await open({ tagEcho });
      try {
        const id = await placeOrder(s, {
          tradingsymbol: 'SBIN',
          quantity: '1',
          tag: 't9',
        });
        const rows = (await call<BookOrderRow[]>(s, 'GET', 'orders')).json;
        assert.deepEqual(rows.data[0]?.tag, book);
        const d = await call<Row[]>(s, 'POST', 'order/details', {
          order_no: id,
        });
        assert.equal(d.json.data[0]?.tag, details);
        const untagged = await placeOrder(s, {
          tradingsymbol: 'SBIN',
          quantity: '1',
        });
        const after = await call<BookOrderRow[]>(s, 'GET', 'orders');
        const plain = after.json.data.find((o) => o.order_id === untagged);
        assert.deepEqual(plain?.tag, []);
      } finally {
        await s.sim.close();
      }
    }
  });

  it('wraps the place-order reply in an array when asked', async () => {
    const s = await open({ placeReplyArray: true });
    try {
      const reply = await call(s, 'POST', 'orders/regular', {
        tradingsymbol: 'SBIN',
        exchange: 'NSE',
        transaction_type: 'BUY',
        order_type: 'MARKET',
        quantity: '1',
        product: 'CNC',
      });
      const wrapped = reply.json as unknown as Envelope<{ order_id: string }>[];
      assert.ok(Array.isArray(wrapped));
      assert.equal(wrapped[0]?.status, 'success');
      assert.match(wrapped[0]?.data.order_id ?? '', /^\d{16}$/);
    } finally {
      await s.sim.close();
    }
  });

  it('rejects a host that is not loopback', async () => {
    await assert.rejects(
      startSimulator({ host: '0.0.0.0', tickMs: 0 }),
      /loopback only/,
    );
    await assert.rejects(startSimulator({ partialFillRatio: 2 }), /0-1/);
  });

  it('walks prices on its own timer when tickMs is set', async () => {
    const sim = await startSimulator({ tickMs: 5, seed: 11 });
    try {
      const before = sim.price('NSE:RELIANCE');
      const deadline = Date.now() + 2000;
      while (sim.price('NSE:RELIANCE') === before && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.notEqual(sim.price('NSE:RELIANCE'), before);
      assert.equal(sim.price('NSE:NOSUCH'), undefined);
    } finally {
      await sim.close();
    }
  });
});
