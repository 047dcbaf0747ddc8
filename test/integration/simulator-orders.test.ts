import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  type BookOrderRow,
  type SimulatorOptions,
} from '../../src/simulator/simulator.ts';
import {
  ist,
  openSimSession,
  type SimSession as Session,
} from '../support/sim-session.ts';

/**
 * The order lifecycle over HTTP: market fill, limit pending → partial →
 * filled on price moves, RMS rejection after a success reply (FR-05),
 * cancel (and cancel of a filled order), cancel-all, modify, stops,
 * market hours and form validation.
 */

type Row = Record<string, unknown>;

/** An envelope read loosely: `data` is an object or a list of them. */
interface Envelope {
  status: string;
  message: string;
  error_type: string;
  data: Row & Row[];
}

/** This file's defaults: its own clock start and seed, whole fills. */
function open(options: SimulatorOptions = {}): Promise<Session> {
  return openSimSession({
    at: ist(2025, 2, 6, 11, 0),
    seed: 5,
    partialFillRatio: 0,
    ...options,
  });
}

async function call(
  s: Session,
  method: string,
  route: string,
  form?: Record<string, string>,
  raw?: { body: string; contentType: string },
) {
  const headers: Record<string, string> = {
    'X-Mirae-Version': '1',
    Authorization: `token ${s.sim.credentials.apiKey}:${s.token}`,
  };
  let body: string | undefined;
  if (form !== undefined) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  } else if (raw !== undefined) {
    headers['Content-Type'] = raw.contentType;
    body = raw.body;
  }
  const res = await fetch(`${s.sim.baseUrl}/${route}`, {
    method,
    headers,
    body,
    signal: AbortSignal.timeout(5000),
  });
  const json = JSON.parse(await res.text()) as Envelope;
  return { status: res.status, json };
}

const ORDER = {
  tradingsymbol: 'INFY',
  exchange: 'NSE',
  transaction_type: 'BUY',
  order_type: 'MARKET',
  quantity: '10',
  product: 'CNC',
  validity: 'DAY',
  price: '0',
  trigger_price: '0',
};

async function place(s: Session, fields: Record<string, string> = {}) {
  const reply = await call(s, 'POST', 'orders/regular', {
    ...ORDER,
    ...fields,
  });
  assert.equal(reply.status, 200, JSON.stringify(reply.json));
  assert.equal(reply.json.status, 'success', JSON.stringify(reply.json));
  return reply.json.data.order_id as string;
}

async function bookRow(s: Session, orderId: string) {
  const book = await call(s, 'GET', 'orders');
  const rows = book.json.data as unknown as BookOrderRow[];
  const row = rows.find((o) => o.order_id === orderId);
  assert.ok(row, `order ${orderId} is not in the book`);
  return row;
}

function assertInputError(
  reply: { status: number; json: Envelope },
  status: number,
  message: RegExp,
) {
  assert.equal(reply.status, status, JSON.stringify(reply.json));
  assert.equal(reply.json.status, 'error');
  assert.equal(reply.json.error_type, 'InputException');
  assert.match(reply.json.message, message);
}

describe('simulator order lifecycle', () => {
  let s: Session;
  before(async () => {
    s = await open();
  });
  after(async () => {
    await s.sim.close();
  });
  beforeEach(() => {
    s.sim.setPrice('NSE:INFY', 1500);
  });

  it('fills a market order at once at the last price', async () => {
    const id = await place(s, { quantity: '2' });
    const row = await bookRow(s, id);
    assert.equal(row.status, 'Traded');
    assert.equal(row.average_price, 1500);
    assert.equal(row.filled_quantity, 2);
    assert.equal(
      s.sim.orders().find((o) => o.order_id === id)?.status,
      'Traded',
    );
  });

  it('keeps a limit pending, then fills it when the price crosses', async () => {
    const id = await place(s, { order_type: 'LIMIT', price: '1450' });
    assert.equal((await bookRow(s, id)).status, 'Pending');
    s.sim.setPrice('NSE:INFY', 1455);
    assert.equal((await bookRow(s, id)).filled_quantity, 0);
    s.sim.setPrice('NSE:INFY', 1449.5);
    const row = await bookRow(s, id);
    assert.equal(row.status, 'Traded');
    assert.equal(row.average_price, 1450);
  });

  it('rejects an unaffordable order only in the book (FR-05)', async () => {
    const reply = await call(s, 'POST', 'orders/regular', {
      ...ORDER,
      tradingsymbol: 'MARUTI',
      quantity: '1000',
    });
    assert.equal(reply.json.status, 'success');
    const id = reply.json.data.order_id as string;
    const row = await bookRow(s, id);
    assert.equal(row.status, 'Rejected');
    assert.equal(row.exchange_order_id, '0');
    assert.match(
      row.status_message,
      /^RMS:\d{16}:NSE,EQUITY,10999,MARUTI,CNC,/,
    );
    assert.match(row.status_message, /FUND LIMIT INSUFFICIENT/);
    assert.match(row.status_message, /CALCULATED MARGIN FOR ORDER=\d+/);
  });

  it('rejects a delivery sell of more than is held', async () => {
    const id = await place(s, {
      tradingsymbol: 'SBIN',
      transaction_type: 'SELL',
      quantity: '21',
    });
    const row = await bookRow(s, id);
    assert.equal(row.status, 'Rejected');
    assert.match(row.status_message, /^RMS:.*AVAILABLE QUANTITY=20/);
  });

  it('cancels a pending order; a second cancel "does not exsist"', async () => {
    const id = await place(s, { order_type: 'LIMIT', price: '1300' });
    const cancel = await call(s, 'DELETE', `orders/regular/${id}`);
    assert.deepEqual(cancel.json, {
      status: 'success',
      data: { order_id: id },
    });
    const row = await bookRow(s, id);
    assert.equal(row.status, 'Cancelled');
    assert.equal(row.cancelled_quantity, 10);
    assert.equal(row.pending_quantity, 0);
    const again = await call(s, 'DELETE', `orders/regular/${id}`);
    assertInputError(
      again,
      200,
      /^Order Does not Exsist\.Need to refresh orderbook \/ relogin in application $/,
    );
  });

  it('answers the cancel of a filled or unknown order under HTTP 200', async () => {
    const filled = await place(s, { quantity: '1' });
    for (const id of [filled, '1112502069999', 'x'.repeat(300)]) {
      assertInputError(
        await call(s, 'DELETE', `orders/regular/${id}`),
        200,
        /Order Does not Exsist/,
      );
    }
  });

  it('cancels all open orders with no count in the reply', async () => {
    const a = await place(s, { order_type: 'LIMIT', price: '1300' });
    const b = await place(s, { order_type: 'LIMIT', price: '1310' });
    const reply = await call(s, 'POST', 'orders/cancelall');
    assert.equal(reply.json.status, 'success');
    assert.deepEqual(Object.keys(reply.json.data), ['order_id']);
    for (const id of [a, b]) {
      assert.equal((await bookRow(s, id)).status, 'Cancelled');
    }
    const open = s.sim.orders().filter((o) => o.status === 'Pending');
    assert.equal(open.length, 0);
  });

  it('modifies a pending order, and refuses to modify a closed one', async () => {
    const id = await place(s, { order_type: 'LIMIT', price: '1300' });
    const modify = await call(s, 'PUT', `orders/regular/${id}`, {
      order_type: 'LIMIT',
      quantity: '15',
      price: '1320',
      validity: 'DAY',
      trigger_price: '0',
      disclosed_quantity: '0',
    });
    assert.deepEqual(modify.json, {
      status: 'success',
      data: { order_id: id },
    });
    const row = await bookRow(s, id);
    assert.equal(row.quantity, 15);
    assert.equal(row.price, 1320);
    assert.equal(row.modified, 'true');
    await call(s, 'DELETE', `orders/regular/${id}`);
    assertInputError(
      await call(s, 'PUT', `orders/regular/${id}`, { price: '1330' }),
      200,
      /Order Does not Exsist/,
    );
  });

  it('moves a stop order Pending → Triggered → Traded', async () => {
    const id = await place(s, {
      order_type: 'SL',
      price: '1525',
      trigger_price: '1520',
    });
    s.sim.setPrice('NSE:INFY', 1530);
    assert.equal((await bookRow(s, id)).status, 'Triggered');
    s.sim.setPrice('NSE:INFY', 1522);
    const details = await call(s, 'POST', 'order/details', { order_no: id });
    assert.deepEqual(
      details.json.data.map((d) => d.status),
      ['Traded', 'Triggered', 'Pending'],
    );
    assert.equal(details.json.data[1]?.status_message, 'STOPLOSS TRIGGER');
  });

  it('fills and rejects on command through the handle', async () => {
    const id = await place(s, { order_type: 'LIMIT', price: '1300' });
    s.sim.fillOrder(id, 4);
    let row = await bookRow(s, id);
    assert.equal(row.status, 'Pending');
    assert.equal(row.filled_quantity, 4);
    assert.equal(row.pending_quantity, 6);
    s.sim.rejectOrder(
      id,
      'EXCH:16308:The order has been canceled due to price freeze.',
    );
    row = await bookRow(s, id);
    assert.equal(row.status, 'Rejected');
    assert.match(row.status_message, /^EXCH:16308/);
    assert.throws(() => s.sim.fillOrder(id), /already Rejected/);
    assert.throws(() => s.sim.setPrice('NSE:NOSUCH', 10), /unknown instrument/);
  });

  it('refuses each malformed field with HTTP 400 and records no order', async () => {
    const before = s.sim.orders().length;
    const cases: [Record<string, string>, RegExp][] = [
      [{ tradingsymbol: '' }, /tradingsymbol is required/],
      [{ exchange: 'nse' }, /Invalid exchange/],
      [{ transaction_type: 'HOLD' }, /Invalid transaction_type/],
      [{ order_type: 'STOP' }, /Invalid order_type/],
      [{ quantity: '0' }, /quantity must be between/],
      [{ quantity: '2.5' }, /quantity must be a whole number/],
      [{ product: 'DELIVERY' }, /Invalid product/],
      [{ validity: 'GTT' }, /Invalid validity/],
      [{ price: '12,50' }, /price must be a price/],
      [{ order_type: 'LIMIT', price: '0' }, /price is required/],
      [{ order_type: 'LIMIT', price: '1450.03' }, /tick size/],
      [{ tag: 'bad tag!' }, /tag must be/],
    ];
    for (const [fields, message] of cases) {
      assertInputError(
        await call(s, 'POST', 'orders/regular', { ...ORDER, ...fields }),
        400,
        message,
      );
    }
    assert.equal(s.sim.orders().length, before);
  });

  it('refuses an unknown symbol as a business error under 200', async () => {
    assertInputError(
      await call(s, 'POST', 'orders/regular', {
        ...ORDER,
        tradingsymbol: 'NOPE',
      }),
      200,
      /not available for trading/,
    );
  });

  it('reads the order form only from the body', async () => {
    const before = s.sim.orders().length;
    const query = new URLSearchParams(ORDER).toString();
    const reply = await call(s, 'POST', `orders/regular?${query}`);
    assertInputError(reply, 400, /tradingsymbol is required/);
    const json = await call(s, 'POST', 'orders/regular', undefined, {
      body: JSON.stringify(ORDER),
      contentType: 'application/json',
    });
    assertInputError(json, 200, /form-encoded/);
    assert.equal(s.sim.orders().length, before);
  });

  it('refuses other varieties', async () => {
    assertInputError(
      await call(s, 'POST', 'orders/amo', ORDER),
      200,
      /not available in paper trading/,
    );
    assertInputError(
      await call(s, 'POST', 'orders/weird', ORDER),
      400,
      /Only order types NORMAL,AMO and COVER/,
    );
  });
});

describe('simulator partial fills and market hours', () => {
  it('fills a crossing limit partly, then the rest on the next tick', async () => {
    const s = await open({ partialFillRatio: 1 });
    try {
      s.sim.setPrice('NSE:TCS', 4000);
      const id = await place(s, {
        tradingsymbol: 'TCS',
        order_type: 'LIMIT',
        price: '3900',
        quantity: '20',
      });
      s.sim.setPrice('NSE:TCS', 3895);
      const partial = await bookRow(s, id);
      assert.equal(partial.status, 'Pending');
      assert.ok(
        partial.filled_quantity >= 6 && partial.filled_quantity <= 14,
        `filled ${partial.filled_quantity}`,
      );
      assert.equal(partial.pending_quantity, 20 - partial.filled_quantity);
      s.sim.setPrice('NSE:TCS', 3890);
      const done = await bookRow(s, id);
      assert.equal(done.status, 'Traded');
      assert.equal(done.filled_quantity, 20);
      assert.equal(done.average_price, 3900);
      const trades = await call(s, 'GET', 'tradebook');
      assert.equal(
        trades.json.data.filter((t) => t.ORDER_NUMBER === id).length,
        2,
      );
    } finally {
      await s.sim.close();
    }
  });

  it('refuses orders outside market hours with the broker sentence', async () => {
    const s = await open({ marketHours: true });
    try {
      s.clock.t = ist(2025, 2, 6, 20, 15);
      const reply = await call(s, 'POST', 'orders/regular', ORDER);
      assertInputError(
        reply,
        200,
        /^System is not connected to NSE Equity market$/,
      );
      // Quotes still answer after hours.
      const quote = await call(s, 'GET', 'instruments/quote/ltp?i=NSE%3AINFY');
      assert.equal(quote.json.status, 'success');
      s.clock.t = ist(2025, 2, 6, 9, 15);
      assert.equal(
        (await call(s, 'POST', 'orders/regular', ORDER)).json.status,
        'success',
      );
    } finally {
      await s.sim.close();
    }
  });

  it('starts a new book on the next IST day', async () => {
    const s = await open();
    try {
      await place(s, { quantity: '1' });
      assert.equal(s.sim.orders().length, 1);
      s.clock.t = ist(2025, 2, 7, 9, 30);
      assert.equal(s.sim.orders().length, 0);
      const holdings = await call(s, 'GET', 'portfolio/holdings').catch(
        () => undefined,
      );
      // The token died at midnight: the session must be renewed.
      assert.equal(holdings?.status, 401);
    } finally {
      await s.sim.close();
    }
  });
});
