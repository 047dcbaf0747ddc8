import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createRandom } from '../../src/simulator/random.ts';
import type { Simulator } from '../../src/simulator/simulator.ts';
import { ist, openSimSession } from '../support/sim-session.ts';

/**
 * Garbage in, Type A error envelope out: bad encodings, wrong content
 * types, oversized bodies and queries, malformed HTTP, prototype keys and
 * a seeded fuzz run. The server must answer every one and keep serving.
 */

let sim: Simulator;
let token: string;

function authHeaders(): Record<string, string> {
  return {
    'X-Mirae-Version': '1',
    Authorization: `token ${sim.credentials.apiKey}:${token}`,
  };
}

async function send(
  method: string,
  path: string,
  body?: string,
  contentType?: string,
) {
  const headers = authHeaders();
  if (contentType !== undefined) headers['Content-Type'] = contentType;
  const res = await fetch(
    `${sim.baseUrl.replace(/\/openapi\/typea$/, '')}${path}`,
    {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(5000),
    },
  );
  return { status: res.status, text: await res.text() };
}

interface Envelope {
  status: string;
  message: string;
  error_type: string;
  data: Record<string, unknown> | null;
}

function assertEnvelope(reply: { status: number; text: string }): Envelope {
  let json: unknown;
  assert.doesNotThrow(
    () => {
      json = JSON.parse(reply.text);
    },
    `not JSON (${reply.status}): ${reply.text.slice(0, 100)}`,
  );
  const envelope = (Array.isArray(json) ? json[0] : json) as Envelope;
  assert.ok(
    envelope.status === 'success' || envelope.status === 'error',
    reply.text.slice(0, 200),
  );
  if (envelope.status === 'error') {
    assert.equal(typeof envelope.message, 'string');
    assert.match(envelope.error_type, /Exception$/);
  }
  return envelope;
}

/** Writes raw bytes and returns whatever the server sends back. */
function rawExchange(payload: string): Promise<string> {
  const url = new URL(sim.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(3000, () => {
      socket.destroy();
      reject(new Error('no answer within 3 s'));
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString()));
    socket.on('error', reject);
    socket.write(payload);
  });
}

describe('simulator against garbage input', () => {
  before(async () => {
    ({ sim, token } = await openSimSession({
      at: ist(2025, 2, 6, 11, 0),
      seed: 13,
    }));
  });
  after(async () => {
    await sim.close();
  });

  it('refuses JSON, text and multipart bodies on a form route', async () => {
    for (const [body, type] of [
      ['{"tradingsymbol":"INFY"}', 'application/json'],
      ['{"broken', 'application/json'],
      ['tradingsymbol=INFY', 'text/plain'],
      [
        '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
        'multipart/form-data; boundary=x',
      ],
    ] as const) {
      const reply = await send(
        'POST',
        '/openapi/typea/orders/regular',
        body,
        type,
      );
      assert.equal(reply.status, 200);
      assert.match(assertEnvelope(reply).message, /form-encoded/);
    }
    assert.equal(sim.orders().length, 0);
  });

  it('refuses a body over 64 KB with 413', async () => {
    const reply = await send(
      'POST',
      '/openapi/typea/orders/regular',
      `tradingsymbol=${'A'.repeat(70_000)}`,
      'application/x-www-form-urlencoded',
    );
    assert.equal(reply.status, 413);
    assertEnvelope(reply);
  });

  it('answers a query too large for HTTP headers with a 431 envelope', async () => {
    const query = Array.from({ length: 2000 }, () => 'i=NSE%3AINFY').join('&');
    const reply = await send(
      'GET',
      `/openapi/typea/instruments/quote/ltp?${query}`,
    );
    assert.equal(reply.status, 431);
    assertEnvelope(reply);
  });

  it('refuses more than 100 instruments in one quote', async () => {
    const query = Array.from({ length: 101 }, (_, n) => `i=NSE%3AX${n}`).join(
      '&',
    );
    const reply = await send(
      'GET',
      `/openapi/typea/instruments/quote/ltp?${query}`,
    );
    assert.equal(reply.status, 400);
    assert.match(assertEnvelope(reply).message, /at most 100/);
  });

  it('survives malformed percent-encoding and prototype keys', async () => {
    const odd = await send(
      'GET',
      '/openapi/typea/instruments/quote/ltp?i=%E0%A4%A&i=%ZZ&i=__proto__&i=constructor',
    );
    assert.equal(odd.status, 200);
    const data = assertEnvelope(odd).data ?? {};
    assert.equal(Object.keys(data).length, 4);
    assert.equal(Object.getPrototypeOf(data), Object.prototype);
    assert.ok(Object.values(data).every((v) => v === null));

    const form = await send(
      'POST',
      '/openapi/typea/orders/regular',
      '__proto__=x&constructor=y&tradingsymbol=%ZZ&exchange=NSE',
      'application/x-www-form-urlencoded',
    );
    assert.equal(form.status, 400);
    assertEnvelope(form);
    const details = await send(
      'GET',
      '/openapi/typea/order/details?order_no=__proto__',
    );
    assert.deepEqual(assertEnvelope(details).data, null);
  });

  it('answers odd paths and methods with an envelope', async () => {
    for (const [method, path] of [
      ['GET', '/'],
      ['GET', '/openapi/typea'],
      ['GET', '/openapi/typea/'],
      ['GET', '/openapi/typea/../../etc/passwd'],
      ['GET', '/openapi/typea//orders'],
      ['PATCH', '/openapi/typea/orders'],
      ['OPTIONS', '/openapi/typea/orders/regular'],
      ['PUT', '/openapi/typea/orders/regular'],
      ['DELETE', '/openapi/typea/orders/regular/'],
      ['GET', `/openapi/typea/${'x/'.repeat(500)}`],
    ] as const) {
      const reply = await send(method, path);
      assert.ok(reply.status >= 400, `${method} ${path} → ${reply.status}`);
      assertEnvelope(reply);
    }
  });

  it('answers a malformed HTTP request with a 400 envelope', async () => {
    const answer = await rawExchange('HELLO /openapi\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 400 /);
    const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
    assert.equal(JSON.parse(body).error_type, 'InputException');
  });

  it('keeps serving through a seeded fuzz run', async () => {
    const random = createRandom(2024);
    const pick = <T>(items: readonly T[]): T =>
      items[Math.floor(random.next() * items.length)]!;
    const methods = ['GET', 'POST', 'PUT', 'DELETE'] as const;
    const routes = [
      'orders',
      'orders/regular',
      'orders/regular/1112502060000',
      'orders/cancelall',
      'order/details',
      'trades',
      'tradebook',
      'portfolio/holdings',
      'portfolio/positions',
      'user/fundsummary',
      'instruments/quote/ohlc',
      'instruments/quote/ltp',
      'session/token',
      'session/verifytotp',
      'connect/login',
      'nope',
    ];
    const fields = [
      'tradingsymbol',
      'exchange',
      'transaction_type',
      'order_type',
      'quantity',
      'product',
      'price',
      'trigger_price',
      'validity',
      'tag',
      'order_no',
      'fromdate',
      'i',
      'api_key',
      'totp',
    ];
    const values = [
      '',
      'INFY',
      'M&M',
      'NSE',
      'BUY',
      'SELL',
      'LIMIT',
      'MARKET',
      'SL-M',
      '1',
      '-1',
      '0',
      '1e309',
      'NaN',
      '1500.05',
      '999999999999',
      '%',
      '\u0000',
      'é😀',
      'CNC',
      'MIS',
      '2025-02-06',
      'x'.repeat(300),
    ];
    const types = [
      'application/x-www-form-urlencoded',
      'application/json',
      'text/plain',
      undefined,
    ];
    for (let n = 0; n < 300; n++) {
      const parts = Array.from(
        { length: Math.floor(random.next() * 8) },
        () =>
          `${encodeURIComponent(pick(fields))}=${encodeURIComponent(pick(values))}`,
      ).join('&');
      const method = pick(methods);
      const route = pick(routes);
      const type = pick(types);
      const body = method === 'GET' || random.next() < 0.2 ? undefined : parts;
      const query = random.next() < 0.5 ? `?${parts}` : '';
      const reply = await send(
        method,
        `/openapi/typea/${route}${query}`,
        body,
        body === undefined ? undefined : type,
      );
      assert.ok(reply.status < 500, `${method} ${route} → ${reply.status}`);
      assertEnvelope(reply);
    }
    const still = await send('GET', '/openapi/typea/orders');
    assert.equal(still.status, 200);
  });
});
