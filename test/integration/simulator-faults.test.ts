import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { BookOrderRow, Simulator } from '../../src/simulator/simulator.ts';
import { ist, openSimSession } from '../support/sim-session.ts';

/**
 * Fault injection: each fault type (FR-04 HTML, FR-07/FR-08 lost replies
 * after the order is recorded, hangs, resets, 429, expired tokens,
 * delays), offline mode, the request journal and the `/__sim` admin
 * surface.
 */

const START = ist(2025, 2, 6, 11, 0);

/** What `/__sim` answers, read loosely. */
interface AdminReply {
  ok: boolean;
  error: string;
  price: number;
  orders: BookOrderRow[];
}

let sim: Simulator;
let token: string;

async function call(
  method: string,
  route: string,
  options: { form?: Record<string, string>; timeoutMs?: number } = {},
) {
  const headers: Record<string, string> = {
    'X-Mirae-Version': '1',
    Authorization: `token ${sim.credentials.apiKey}:${token}`,
  };
  let body: string | undefined;
  if (options.form !== undefined) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  const res = await fetch(`${sim.baseUrl}/${route}`, {
    method,
    headers,
    body,
    signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function admin(action: string, body?: unknown) {
  const res = await fetch(`${sim.adminUrl}/${action}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, json: (await res.json()) as AdminReply };
}

const ORDER = {
  tradingsymbol: 'SBIN',
  exchange: 'NSE',
  transaction_type: 'BUY',
  order_type: 'MARKET',
  quantity: '1',
  product: 'CNC',
  validity: 'DAY',
  price: '0',
  trigger_price: '0',
  tag: 'intent-1',
};

const postsOfOrders = () =>
  sim.requests.filter(
    (r) => r.method === 'POST' && r.route === 'orders/regular',
  ).length;

describe('simulator faults', () => {
  before(async () => {
    ({ sim, token } = await openSimSession({
      at: START,
      seed: 9,
      partialFillRatio: 0,
    }));
  });
  after(async () => {
    await sim.close();
  });
  beforeEach(() => {
    sim.clearFaults();
    sim.clearRequests();
  });

  it('answers a scripted status and body, once by default', async () => {
    sim.inject(
      { method: 'GET', path: 'orders' },
      {
        type: 'status',
        status: 503,
        body: { status: 'error', message: 'busy' },
      },
    );
    const first = await call('GET', 'orders');
    assert.equal(first.status, 503);
    assert.deepEqual(JSON.parse(first.text), {
      status: 'error',
      message: 'busy',
    });
    const second = await call('GET', 'orders');
    assert.equal(second.status, 200);
    assert.equal(sim.requests[0]?.fault, 'status');
    assert.equal(sim.requests[1]?.fault, undefined);
  });

  it('sends a ~2 KB HTML page with scripts (FR-04)', async () => {
    sim.inject(
      { path: '/openapi/typea/instruments/quote/ltp' },
      { type: 'html', status: 502 },
    );
    const reply = await call('GET', 'instruments/quote/ltp?i=NSE%3AINFY');
    assert.equal(reply.status, 502);
    assert.match(reply.headers.get('content-type') ?? '', /^text\/html/);
    assert.ok(reply.text.length >= 1800, `${reply.text.length} bytes`);
    assert.match(reply.text, /<script/);
    assert.throws(() => JSON.parse(reply.text));
  });

  it('hangs until the caller gives up, and close() still ends', async () => {
    sim.inject({ path: 'user/fundsummary' }, { type: 'hang' });
    await assert.rejects(
      call('GET', 'user/fundsummary', { timeoutMs: 200 }),
      (err: Error) => err.name === 'TimeoutError',
    );
    assert.equal((await call('GET', 'user/fundsummary')).status, 200);
  });

  it('resets the connection', async () => {
    sim.inject({ path: 'orders' }, { type: 'reset' });
    await assert.rejects(call('GET', 'orders'), TypeError);
  });

  it('answers 200 with an empty body', async () => {
    sim.inject({ path: 'orders' }, { type: 'empty' });
    const reply = await call('GET', 'orders');
    assert.equal(reply.status, 200);
    assert.equal(reply.text, '');
  });

  for (const then of ['empty', 'reset', 'hang'] as const) {
    it(`records the order, then loses the reply (after-write, ${then})`, async () => {
      const before = sim.orders().length;
      sim.inject(
        { method: 'POST', path: 'orders/regular' },
        { type: 'after-write', then },
      );
      const attempt = call('POST', 'orders/regular', {
        form: ORDER,
        timeoutMs: 300,
      });
      if (then === 'empty') {
        const reply = await attempt;
        assert.equal(reply.status, 200);
        assert.equal(reply.text, '');
      } else {
        await assert.rejects(attempt);
      }
      const orders = sim.orders();
      assert.equal(orders.length, before + 1);
      assert.equal(orders.at(-1)?.tag, 'intent-1');
      assert.equal(orders.at(-1)?.status, 'Traded');
      assert.equal(postsOfOrders(), 1);
    });
  }

  it('answers 401 TokenException without ending the session', async () => {
    sim.inject({ path: 'orders' }, { type: 'token-expired' });
    const reply = await call('GET', 'orders');
    assert.equal(reply.status, 401);
    assert.equal(JSON.parse(reply.text).error_type, 'TokenException');
    assert.equal((await call('GET', 'orders')).status, 200);
  });

  it('answers 429 with Retry-After', async () => {
    sim.inject(
      { path: /^instruments\// },
      { type: 'rate-limited', retryAfterS: 2 },
    );
    const reply = await call('GET', 'instruments/quote/ltp?i=NSE%3AINFY');
    assert.equal(reply.status, 429);
    assert.equal(reply.headers.get('retry-after'), '2');
    assert.equal(JSON.parse(reply.text).status, 'error');
  });

  it('delays an answer by the given time', async () => {
    sim.inject({ path: 'orders' }, { type: 'delay', ms: 150 });
    const started = performance.now();
    const reply = await call('GET', 'orders');
    assert.equal(reply.status, 200);
    assert.ok(performance.now() - started >= 140);
  });

  it('repeats a fault `times` times and matches method and RegExp paths', async () => {
    sim.inject(
      { method: 'POST', path: /orders/ },
      { type: 'status', status: 500 },
      2,
    );
    assert.equal(
      (await call('GET', 'orders')).status,
      200,
      'GET is not matched',
    );
    assert.equal((await call('POST', 'orders/cancelall')).status, 500);
    assert.equal((await call('POST', 'orders/cancelall')).status, 500);
    assert.equal((await call('POST', 'orders/cancelall')).status, 200);
  });

  it('resets every request while offline, and recovers', async () => {
    sim.setOffline(true);
    await assert.rejects(call('GET', 'orders'), TypeError);
    await assert.rejects(call('GET', 'user/fundsummary'), TypeError);
    assert.equal((await admin('orders')).status, 200, 'admin stays reachable');
    sim.setOffline(false);
    assert.equal((await call('GET', 'orders')).status, 200);
    assert.deepEqual(
      sim.requests.map((r) => r.fault),
      ['offline', 'offline', undefined],
    );
  });

  it('journals method, path, raw and parsed query, lower-case headers and body', async () => {
    await call('GET', 'instruments/quote/ltp?i=NSE%3AM%26M&i=NSE%3AINFY');
    await call('POST', 'orders/regular', {
      form: { ...ORDER, tradingsymbol: 'M&M' },
    });
    const [quote, order] = sim.requests;
    assert.equal(quote?.method, 'GET');
    assert.equal(quote?.path, '/openapi/typea/instruments/quote/ltp');
    assert.equal(quote?.route, 'instruments/quote/ltp');
    assert.equal(quote?.rawQuery, 'i=NSE%3AM%26M&i=NSE%3AINFY');
    assert.deepEqual(quote?.query.i, ['NSE:M&M', 'NSE:INFY']);
    assert.equal(quote?.headers['x-mirae-version'], '1');
    assert.match(quote?.headers.authorization ?? '', /^token /);
    assert.equal(order?.bodyKind, 'form');
    assert.equal((order?.body as Record<string, string>).tradingsymbol, 'M&M');
    assert.match(order?.bodyText ?? '', /tradingsymbol=M%26M/);
    sim.clearRequests();
    assert.equal(sim.requests.length, 0);
  });
});

describe('simulator admin surface', () => {
  before(async () => {
    // A minute on, as before: this sim logs in at 11:01 IST.
    ({ sim, token } = await openSimSession({ at: START + 60_000, seed: 9 }));
  });
  after(async () => {
    await sim.close();
  });

  it('sets and reads prices', async () => {
    const set = await admin('set-price', { key: 'NSE:M&M', price: 3100.1 });
    assert.deepEqual(set.json, { ok: true, price: 3100.1 });
    assert.equal(sim.price('NSE:M&M'), 3100.1);
    const read = await admin(`price?key=${encodeURIComponent('NSE:M&M')}`);
    assert.equal(read.json.price, 3100.1);
    const unknown = await admin('set-price', { key: 'NSE:NOPE', price: 1 });
    assert.equal(unknown.status, 400);
    assert.match(unknown.json.error, /unknown instrument/);
  });

  it('fills and rejects orders and lists the book', async () => {
    sim.setPrice('NSE:SBIN', 800);
    const place = await call('POST', 'orders/regular', {
      form: { ...ORDER, order_type: 'LIMIT', price: '700', quantity: '10' },
    });
    const id = JSON.parse(place.text).data.order_id as string;
    assert.deepEqual((await admin('fill', { orderId: id, quantity: 3 })).json, {
      ok: true,
    });
    let row = (await admin('orders')).json.orders.find(
      (o) => o.order_id === id,
    );
    assert.equal(row?.filled_quantity, 3);
    await admin('reject', { orderId: id, reason: 'RMS:manual' });
    row = (await admin('orders')).json.orders.find((o) => o.order_id === id);
    assert.equal(row?.status, 'Rejected');
    const bad = await admin('fill', { orderId: id });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.ok, false);
  });

  it('injects faults, by path or pattern, and clears them', async () => {
    await admin('inject', {
      method: 'GET',
      pathPattern: '^orders$',
      fault: { type: 'status', status: 502 },
      times: 2,
    });
    assert.equal((await call('GET', 'orders')).status, 502);
    await admin('clear-faults', {});
    assert.equal((await call('GET', 'orders')).status, 200);
    await admin('inject', { path: 'orders', fault: { type: 'empty' } });
    assert.equal((await call('GET', 'orders')).text, '');
    const invalid = await admin('inject', { fault: { type: 'explode' } });
    assert.equal(invalid.status, 400);
    const badPattern = await admin('inject', {
      pathPattern: '(',
      fault: { type: 'hang' },
    });
    assert.equal(badPattern.status, 400);
  });

  it('goes offline and expires sessions', async () => {
    await admin('offline', { on: true });
    await assert.rejects(call('GET', 'orders'), TypeError);
    await admin('offline', { on: false });
    assert.equal((await call('GET', 'orders')).status, 200);
    await admin('expire-sessions', {});
    assert.equal((await call('GET', 'orders')).status, 401);
  });

  it('answers bad admin calls with ok:false', async () => {
    const res = await fetch(`${sim.adminUrl}/set-price`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{not json',
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as AdminReply).ok, false);
    assert.equal((await admin('nope', {})).status, 404);
    assert.equal((await admin('requests')).json.ok, true);
  });
});
