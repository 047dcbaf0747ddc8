import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { z } from 'zod';
import { BrokerError } from '../../src/mstock/errors.ts';
import { readNumber, readText } from '../../src/mstock/lenient.ts';
import {
  cancelReplySchema,
  fundsSchema,
  holdingsSchema,
  loginReplySchema,
  ordersSchema,
  parseData,
  parseEnvelope,
  placeOrderReplySchema,
  positionsSchema,
  quotesDataSchema,
  sessionReplySchema,
  toLastPrices,
  toQuotes,
  tradeBookSchema,
  type ReadRows,
} from '../../src/mstock/schemas.ts';
import type { InstrumentRef } from '../../src/mstock/types.ts';

const DIR = 'test/fixtures/mstock-type-a';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(join(DIR, name), 'utf8')) as unknown;
}

/** The envelope's data, asserting it is a success. */
function dataOf(name: string): unknown {
  const envelope = parseEnvelope(fixture(name));
  assert.ok(envelope?.ok, `${name} is a success envelope`);
  return envelope.data;
}

function parse<T extends z.ZodType>(schema: T, data: unknown): z.output<T> {
  return parseData(schema, data, 'TEST');
}

/** The rows of a list reply, asserting every row was read. */
function rows<T>(schema: z.ZodType<ReadRows<T>>, data: unknown): T[] {
  const read = parse(schema, data);
  assert.deepEqual(read.misfits, [], 'every row read');
  return read.rows;
}

/** The raw rows of a list fixture. */
function fixtureRows(name: string): unknown[] {
  const data = dataOf(name);
  assert.ok(Array.isArray(data));
  return data as unknown[];
}

/** Which schema reads each success fixture; errors are envelopes only. */
const READERS: Record<string, z.ZodType | null> = {
  'cancel-all.json': cancelReplySchema,
  'cancel-order.json': null,
  'fundsummary.json': fundsSchema,
  'holdings.empty-none.json': holdingsSchema,
  'holdings.json': holdingsSchema,
  'login.doc.json': loginReplySchema,
  'login.live.json': loginReplySchema,
  'margin.json': null,
  'order-details.json': ordersSchema,
  'orderbook.doc.json': ordersSchema,
  'orderbook.sdk-mock.json': ordersSchema,
  'place-order.doc.json': placeOrderReplySchema,
  'place-order.sdk-array.json': placeOrderReplySchema,
  'positions.json': positionsSchema,
  'quote-ltp.doc-paise.json': quotesDataSchema,
  'quote-ohlc.doc-paise.json': quotesDataSchema,
  'quote-ohlc.rupees.json': quotesDataSchema,
  'session-token.json': sessionReplySchema,
  // The dated trade history is not read; kept as a sample only.
  'trade-history.json': null,
  'tradebook.json': tradeBookSchema,
};

describe('every fixture parses', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

  it('has a reader or is an error sample', () => {
    for (const file of files) {
      assert.ok(
        file.startsWith('error.') || file in READERS,
        `no reader listed for ${file}`,
      );
    }
  });

  for (const file of files) {
    it(file, () => {
      const envelope = parseEnvelope(fixture(file));
      assert.ok(envelope !== undefined, 'is an envelope');
      if (file.startsWith('error.')) {
        assert.equal(envelope.ok, false);
        if (!envelope.ok) assert.ok(envelope.message);
        return;
      }
      assert.equal(envelope.ok, true);
      const reader = READERS[file];
      if (!reader || !envelope.ok) return;
      const read: unknown = parse(reader, envelope.data);
      if (typeof read === 'object' && read !== null && 'misfits' in read) {
        assert.deepEqual(read.misfits, [], 'every row read');
      }
    });
  }
});

describe('lenient numbers (FR-06)', () => {
  const cases: [unknown, number | null][] = [
    [2945.5, 2945.5],
    ['2945.50', 2945.5],
    ['2,945.50', 2945.5],
    [' 1,23,456.50 ', 123456.5],
    ['0.0', 0],
    ['-12.5', -12.5],
    ['', null],
    ['-', null],
    ['None', null],
    ['null', null],
    [null, null],
    [undefined, null],
    [Number.NaN, null],
    [Number.POSITIVE_INFINITY, null],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input) ?? 'undefined'} → ${expected}`, () => {
      assert.equal(readNumber(input), expected);
    });
  }

  it('refuses text that is not a number instead of guessing', () => {
    assert.equal(readNumber('12abc'), undefined);
    assert.equal(readNumber({}), undefined);
  });

  it('gives 2945.5 for every spelling of an LTP, never 2', () => {
    const spellings = ['2,945.50', '2945.50', 2945.5];
    for (const last_price of spellings) {
      const data = parse(quotesDataSchema, { 'NSE:X': { last_price } });
      const [q] = toQuotes(data, [{ exchange: 'NSE', symbol: 'X' }]);
      assert.equal(q?.lastPrice, 2945.5);
    }
    for (const last_price of ['', '-', null]) {
      const data = parse(quotesDataSchema, { 'NSE:X': { last_price } });
      const [q] = toQuotes(data, [{ exchange: 'NSE', symbol: 'X' }]);
      assert.equal(q?.lastPrice, null);
      assert.equal(q?.found, true);
    }
  });

  it('reads a holding quantity sent as a string', () => {
    const row = {
      tradingsymbol: 'INFOSYS LIMITED',
      quantity: '10',
      average_price: '1,450.25',
    };
    const [h] = rows(holdingsSchema, [row]);
    assert.equal(h?.quantity, 10);
    assert.equal(h?.averagePrice, 1450.25);
  });

  it('a garbage price leaves that row out, described, never NaN', () => {
    const read = parse(holdingsSchema, [
      { tradingsymbol: 'X', last_price: 'abc' },
      { tradingsymbol: 'Y', quantity: '3' },
    ]);
    assert.deepEqual(
      read.rows.map((h) => [h.name, h.quantity]),
      [['Y', 3]],
    );
    assert.deepEqual(read.misfits, [
      { index: 0, issues: 'last_price: expected a number' },
    ]);
  });

  it('a reply that is no list at all is still unreadable', () => {
    assert.throws(
      () => parse(holdingsSchema, { rows: 1 }),
      (err) => err instanceof BrokerError && err.kind === 'protocol',
    );
  });

  it('folds text null spellings but keeps real words', () => {
    assert.equal(readText('None'), null);
    assert.equal(readText(''), null);
    assert.equal(readText([]), null);
    assert.equal(readText('NA'), 'NA');
    assert.equal(readText(1131241001100), '1131241001100');
  });
});

describe('envelope', () => {
  it('unwraps a one-element array', () => {
    const plain = parseEnvelope({ status: 'success', data: { order_id: 'A' } });
    const wrapped = parseEnvelope([
      { status: 'success', data: { order_id: 'A' } },
    ]);
    assert.deepEqual(plain, wrapped);
  });

  it('reads an error with no error_type', () => {
    assert.deepEqual(parseEnvelope(fixture('error.mirae-generic.json')), {
      ok: false,
      errorType: 'MiraeException',
      message: 'something went wrong',
    });
    assert.deepEqual(
      parseEnvelope({ status: 'error', message: 'x', data: null }),
      { ok: false, errorType: null, message: 'x' },
    );
  });

  it('is not fooled by other JSON', () => {
    assert.equal(parseEnvelope({ Error: { Code: 'X' } }), undefined);
    assert.equal(parseEnvelope([]), undefined);
    assert.equal(parseEnvelope('<html>'), undefined);
  });
});

describe('quotes', () => {
  const refs: InstrumentRef[] = [
    { exchange: 'NSE', symbol: 'M&M' },
    { exchange: 'NSE', symbol: 'NOSUCH' },
    { exchange: 'NSE', symbol: 'ACC' },
  ];

  it('answers in request order with found:false for null', () => {
    const data = parse(quotesDataSchema, dataOf('quote-ohlc.rupees.json'));
    const quotes = toQuotes(data, refs);
    assert.deepEqual(
      quotes.map((q) => [q.symbol, q.found, q.lastPrice]),
      [
        ['M&M', true, 3012.4],
        ['NOSUCH', false, null],
        ['ACC', true, 1957],
      ],
    );
    assert.equal(quotes[0]?.close, 2998.1);
  });

  it('paise replies give the same rupees as rupee replies', () => {
    const acc: InstrumentRef[] = [{ exchange: 'NSE', symbol: 'ACC' }];
    const paise = toQuotes(
      parse(quotesDataSchema, dataOf('quote-ohlc.doc-paise.json')),
      acc,
      'paise',
    );
    const rupees = toQuotes(
      parse(quotesDataSchema, dataOf('quote-ohlc.rupees.json')),
      acc,
    );
    assert.deepEqual(paise, rupees);
  });

  it('reads the LTP sample: prices without OHLC, "None" as missing', () => {
    const data = parse(quotesDataSchema, {
      ...(dataOf('quote-ltp.doc-paise.json') as object),
      'BSE:ACC': 'None',
    });
    const quotes = toQuotes(
      data,
      [
        { exchange: 'NSE', symbol: 'ACC' },
        { exchange: 'BSE', symbol: 'ACC' },
        { exchange: 'NFO', symbol: 'CDSL25JAN2220CE' },
      ],
      'paise',
    );
    assert.equal(quotes[0]?.lastPrice, 1957);
    assert.equal(quotes[0]?.open, null);
    assert.equal(quotes[1]?.found, false);
    assert.equal(quotes[2]?.found, false);
  });

  it('matches a case-different or -EQ echo of the key', () => {
    const data = parse(quotesDataSchema, {
      'nse:infy': { last_price: 1500 },
      'NSE:TCS-EQ': { last_price: 3400 },
    });
    const quotes = toQuotes(data, [
      { exchange: 'NSE', symbol: 'INFY' },
      { exchange: 'NSE', symbol: 'TCS' },
    ]);
    assert.deepEqual(
      quotes.map((q) => q.lastPrice),
      [1500, 3400],
    );
  });
});

describe('funds, holdings, positions', () => {
  it('funds: one row of strings', () => {
    assert.deepEqual(parse(fundsSchema, dataOf('fundsummary.json')), {
      availableCash: 299999999997,
      usedMargin: 0,
      openingLimit: 99999999999,
    });
  });

  it('funds: numbers, a bare object and strings agree', () => {
    const asNumbers = parse(fundsSchema, [
      { AVAILABLE_BALANCE: 1500.5, AMOUNT_UTILIZED: 0, LIMIT_SOD: 2000 },
    ]);
    const asObject = parse(fundsSchema, {
      AVAILABLE_BALANCE: '1,500.50',
      AMOUNT_UTILIZED: '0.0',
      LIMIT_SOD: '2000',
    });
    assert.deepEqual(asNumbers, asObject);
  });

  it('holdings: company names, exchange null', () => {
    assert.deepEqual(rows(holdingsSchema, dataOf('holdings.json')), [
      {
        name: 'BANK OF MAHARASHTRA',
        isin: 'INE457A01014',
        exchange: null,
        quantity: 10,
        averagePrice: 30,
        lastPrice: 84.7,
        closePrice: 51.1,
      },
    ]);
  });

  it('holdings: "None", null and [] are all no holdings', () => {
    for (const data of ['None', null, [], '']) {
      assert.deepEqual(rows(holdingsSchema, data), []);
    }
    assert.deepEqual(
      rows(holdingsSchema, dataOf('holdings.empty-none.json')),
      [],
    );
  });

  it('positions: net rows, P&L from m2m when pnl is 0', () => {
    assert.deepEqual(rows(positionsSchema, dataOf('positions.json')), [
      {
        exchange: 'NSE',
        symbol: 'YESBANK',
        product: '',
        quantity: 100,
        averagePrice: 19.05,
        lastPrice: 27.65,
        pnl: 860,
      },
    ]);
    assert.deepEqual(rows(positionsSchema, { net: 'None', day: 'None' }), []);
    assert.deepEqual(rows(positionsSchema, null), []);
  });
});

describe('orders', () => {
  it('order book (doc): a rejected INTRADAY order with its RMS reason', () => {
    const [order] = rows(ordersSchema, dataOf('orderbook.doc.json'));
    assert.ok(order);
    assert.equal(order.orderId, '1151240930103');
    assert.equal(order.state, 'rejected');
    assert.equal(order.status, 'Rejected');
    assert.equal(order.product, 'INTRADAY');
    assert.equal(order.tag, null);
    assert.match(order.statusMessage ?? '', /FUND LIMIT INSUFFICIENT/);
    assert.equal(order.placedAt, '30-09-2024 15:45:46');
  });

  it('order book (SDK mock): "None" spellings, Traded = filled', () => {
    const [order] = rows(ordersSchema, dataOf('orderbook.sdk-mock.json'));
    assert.equal(order?.state, 'filled');
    assert.equal(order?.tag, null);
    assert.equal(order?.price, 4093);
    assert.equal(order?.side, 'BUY');
  });

  it('order details: history rows with a 12-hour timestamp', () => {
    const [row] = rows(ordersSchema, dataOf('order-details.json'));
    assert.equal(row?.state, 'open');
    assert.equal(row?.placedAt, '23-01-2025 02:55:55 PM');
  });

  it('a string-typed book gives the same order as a typed one', () => {
    const typed = {
      order_id: 1131241001100,
      exchange: 'NSE',
      tradingsymbol: 'M&M',
      transaction_type: 'BUY',
      order_type: 'LIMIT',
      product: 'CNC',
      quantity: 10,
      filled_quantity: 4,
      pending_quantity: 6,
      price: 2945.5,
      trigger_price: 0,
      average_price: 2944,
      status: 'Pending',
      status_message: 'CONFIRMED',
      tag: 'tg_1_abc',
      order_timestamp: '2025-02-06 07:45:26',
    };
    const stringy = {
      ...typed,
      order_id: '1131241001100',
      quantity: '10',
      filled_quantity: '4',
      pending_quantity: '6',
      price: '2,945.50',
      trigger_price: '0',
      average_price: '2944.00',
      tag: ['tg_1_abc'],
      transaction_type: 'Buy',
    };
    assert.deepEqual(
      rows(ordersSchema, [typed]),
      rows(ordersSchema, [stringy]),
    );
    assert.equal(rows(ordersSchema, [typed])[0]?.tag, 'tg_1_abc');
  });

  it('an order row without an id is left out and described, not fatal', () => {
    const good = fixtureRows('orderbook.doc.json')[0] as Record<
      string,
      unknown
    >;
    const { order_id: _dropped, ...noId } = good;
    const noSide = { ...good, order_id: '9', transaction_type: 'HOLD' };
    const read = parse(ordersSchema, [noId, good, noSide]);
    assert.deepEqual(
      read.rows.map((o) => o.orderId),
      ['1151240930103'],
    );
    assert.deepEqual(read.misfits, [
      { index: 0, issues: 'order_id: expected a value' },
      { index: 2, issues: 'transaction_type: expected BUY or SELL' },
    ]);
    // Paths and expectations only: no value of the row is quoted.
    assert.doesNotMatch(JSON.stringify(read.misfits), /INFY|HOLD|SATYA/);
  });

  it('place order: plain, array-wrapped and order_no agree', () => {
    const fromFixture = parse(
      placeOrderReplySchema,
      dataOf('place-order.sdk-array.json'),
    );
    assert.deepEqual(fromFixture, { orderId: '1111250206114' });
    for (const data of [
      { order_id: '1111250206114' },
      [{ order_id: '1111250206114' }],
      { order_no: 1111250206114 },
    ]) {
      assert.deepEqual(parse(placeOrderReplySchema, data), fromFixture);
    }
    assert.throws(
      () => parse(placeOrderReplySchema, {}),
      (err) => err instanceof BrokerError && err.kind === 'protocol',
    );
  });

  it('session reply: token present or absent', () => {
    assert.equal(
      parse(sessionReplySchema, dataOf('session-token.json')).accessToken,
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...',
    );
    assert.equal(parse(sessionReplySchema, { user_id: '1' }).accessToken, null);
  });

  it('login reply: string and boolean flags agree', () => {
    assert.deepEqual(
      parse(loginReplySchema, dataOf('login.doc.json')).flaggedError,
      parse(loginReplySchema, dataOf('login.live.json')).flaggedError,
    );
  });
});

describe('trade book', () => {
  it('reads the SCREAMING_SNAKE fixture: title-case side, fill price', () => {
    const [trade] = rows(tradeBookSchema, dataOf('tradebook.json'));
    assert.deepEqual(trade, {
      tradeId: '206465040',
      orderId: '21612506101476',
      exchange: 'NSE',
      symbol: 'IDEA',
      side: 'SELL',
      quantity: 4,
      price: 6.98,
      time: '10-06-2025 13:08:42',
    });
  });

  it('reads row by row: a row without a trade number is counted', () => {
    const [good] = fixtureRows('tradebook.json') as Record<string, unknown>[];
    assert.ok(good);
    const read = parse(tradeBookSchema, [
      { ...good, TRADE_NUMBER: 'None' },
      { ...good, BUY_SELL: 'Buy', PRICE: '7.05' },
      { ...good, PRICE: null },
    ]);
    assert.equal(read.rows.length, 1);
    assert.equal(read.rows[0]?.side, 'BUY');
    assert.equal(read.rows[0]?.price, 7.05);
    assert.deepEqual(
      read.misfits.map((m) => m.index),
      [0, 2],
    );
  });

  it('"None" and [] are no trades', () => {
    assert.deepEqual(parse(tradeBookSchema, 'None').rows, []);
    assert.deepEqual(parse(tradeBookSchema, []).rows, []);
  });
});

describe('last prices', () => {
  it('fills only lastPrice; null and "None" rows are not found', () => {
    const data = parse(quotesDataSchema, {
      ...(dataOf('quote-ltp.doc-paise.json') as object),
      'NSE:GONE': 'None',
    });
    const asked: InstrumentRef[] = [
      { exchange: 'NSE', symbol: 'ACC' },
      { exchange: 'NFO', symbol: 'CDSL25JAN2220CE' },
      { exchange: 'NSE', symbol: 'GONE' },
    ];
    const [acc, cdsl, gone] = toLastPrices(data, asked, 'paise');
    assert.deepEqual(acc, {
      exchange: 'NSE',
      symbol: 'ACC',
      found: true,
      lastPrice: 1957,
      open: null,
      high: null,
      low: null,
      close: null,
    });
    assert.equal(cdsl?.found, false);
    assert.equal(cdsl?.lastPrice, null);
    assert.equal(gone?.found, false);
  });

  it('leaves OHLC out even when a build sends it', () => {
    const data = parse(quotesDataSchema, dataOf('quote-ohlc.rupees.json'));
    const keys = Object.keys(data);
    const asked = keys.map((key): InstrumentRef => {
      const [exchange, symbol] = key.split(':') as [
        InstrumentRef['exchange'],
        string,
      ];
      return { exchange, symbol };
    });
    const found = toLastPrices(data, asked).filter((q) => q.found);
    assert.equal(found.length, 2);
    for (const quote of found) {
      assert.notEqual(quote.lastPrice, null);
      assert.equal(quote.open, null);
      assert.equal(quote.close, null);
    }
  });
});
