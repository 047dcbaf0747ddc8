import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import {
  BrokerError,
  OrderOutcomeUnknownError,
} from '../../src/mstock/errors.ts';
import type { PlaceOrderRequest } from '../../src/mstock/types.ts';
import { neverReachedBroker } from '../../src/mstock/http.ts';
import {
  ERRORS,
  htmlPage,
  NO_RATE_LIMITS,
  ok,
  startClientRig,
  type ClientRig,
  type JournalEntry,
  type Scripted,
} from '../support/fake-broker.ts';

const BUY_MM: PlaceOrderRequest = {
  exchange: 'NSE',
  symbol: 'M&M',
  side: 'BUY',
  quantity: 5,
  orderType: 'LIMIT',
  price: 2945.5,
  product: 'CNC',
  tag: 'tg_1_abc',
};

const MARKET_SELL: PlaceOrderRequest = {
  exchange: 'NSE',
  symbol: 'BAJAJ-AUTO',
  side: 'SELL',
  quantity: 1,
  orderType: 'MARKET',
  product: 'MIS',
  tag: 'tg_2_def',
};

const MARKET_CLOSED = {
  status: 'error',
  message: 'System is not connected to NSE Equity market',
  error_type: 'InputException',
  data: null,
};
const ORDER_MISSING = {
  status: 'error',
  message:
    'Order Does not Exsist.Need to refresh orderbook / relogin in application ',
  error_type: 'InputException',
  data: null,
};

describe('mStock client: orders', () => {
  let rig: ClientRig;
  /** Orders the fake broker recorded, whatever it answered. */
  let booked: JournalEntry[];

  const book = (reply: Scripted): Scripted => ({
    ...reply,
    effect: (req) => booked.push(req),
  });

  const posts = () => rig.broker.calls('POST orders/regular');

  async function start(options: Parameters<typeof startClientRig>[0] = {}) {
    booked = [];
    rig = await startClientRig(options);
    rig.broker.handle('POST orders/regular', () =>
      book(ok({ order_id: '1131241001100' })),
    );
  }

  afterEach(async () => {
    assert.deepEqual(rig.leakedSecrets(), [], 'no secret in any log line');
    await rig.close();
  });

  it('sends the Type A form and returns the order id', async () => {
    await start();
    assert.deepEqual(await rig.client.placeOrder(BUY_MM), {
      orderId: '1131241001100',
    });
    const [post] = posts();
    assert.deepEqual(post?.form, {
      tradingsymbol: 'M&M',
      exchange: 'NSE',
      transaction_type: 'BUY',
      order_type: 'LIMIT',
      quantity: '5',
      product: 'CNC',
      validity: 'DAY',
      price: '2945.5',
      trigger_price: '0',
      tag: 'tg_1_abc',
    });
    assert.match(post?.rawBody ?? '', /tradingsymbol=M%26M&/);
    assert.equal(
      post?.headers['content-type'],
      'application/x-www-form-urlencoded',
    );
    assert.match(post?.headers.authorization ?? '', /^token /);
  });

  it('sends price 0 for a market order and reads an array-wrapped reply', async () => {
    await start();
    rig.broker.script('POST orders/regular', {
      body: [{ status: 'success', data: { order_id: '1111250206114' } }],
    });
    assert.deepEqual(await rig.client.placeOrder(MARKET_SELL), {
      orderId: '1111250206114',
    });
    assert.equal(posts()[0]?.form.price, '0');
    assert.equal(posts()[0]?.form.product, 'MIS');
  });

  const lost: [string, Scripted][] = [
    ['an empty 200 body (FR-07)', { action: 'empty' }],
    ['a hang past the timeout (FR-08)', { action: 'hang' }],
    ['a connection reset after the write', { action: 'reset' }],
    ['an HTML 502 page', { status: 502, raw: htmlPage() }],
    [
      'a 500 GeneralException',
      {
        status: 500,
        body: { status: 'error', message: 'x', error_type: 'GeneralException' },
      },
    ],
    [
      'a 500 MiraeException envelope',
      {
        status: 500,
        body: {
          status: 'error',
          message: 'something went wrong',
          error_type: 'MiraeException',
        },
      },
    ],
    [
      'a 503 "does not exist" envelope',
      {
        status: 503,
        body: ORDER_MISSING,
      },
    ],
    [
      'a 500 TokenException envelope (not re-sent after a relogin)',
      { status: 500, body: ERRORS.token },
    ],
    [
      '"success" without an order id',
      { body: { status: 'success', data: {} } },
    ],
  ];
  for (const [name, reply] of lost) {
    it(`${name} → outcome unknown, exactly one POST`, async () => {
      await start({ client: { timeoutMs: 300 } });
      rig.broker.script('POST orders/regular', book(reply));
      await assert.rejects(rig.client.placeOrder(BUY_MM), (err) => {
        assert.ok(err instanceof OrderOutcomeUnknownError);
        assert.equal(err.tag, 'tg_1_abc');
        assert.match(err.message, /Check \/orders/);
        return true;
      });
      assert.equal(posts().length, 1);
      assert.equal(booked.length, 1);
    });
  }

  it('runs beforeSend with the token and the rate slot in hand, just before the POST', async () => {
    await start({
      client: {
        rateLimits: {
          ...NO_RATE_LIMITS,
          order: [{ limit: 1, windowMs: 60_000 }],
        },
        rateLimitMaxWaitMs: 0,
      },
    });
    const seen: string[] = [];
    const beforeSend = () => {
      seen.push(
        `logins=${rig.broker.calls('POST session/verifytotp').length} posts=${posts().length}`,
      );
      return Promise.resolve();
    };
    assert.deepEqual(await rig.client.placeOrder(BUY_MM, { beforeSend }), {
      orderId: '1131241001100',
    });
    assert.deepEqual(seen, ['logins=1 posts=0']);

    // No slot free: the hook never runs, nothing is sent.
    await assert.rejects(
      rig.client.placeOrder(BUY_MM, { beforeSend }),
      (err) => err instanceof BrokerError && err.kind === 'rate-limited',
    );
    assert.equal(seen.length, 1);
    assert.equal(posts().length, 1);
  });

  it('a beforeSend that throws stops the POST; its error comes back marked never sent', async () => {
    await start();
    class Refused extends Error {}
    const refused = new Refused('halted');
    await assert.rejects(
      rig.client.placeOrder(BUY_MM, {
        beforeSend: () => Promise.reject(refused),
      }),
      (err) => {
        assert.equal(err, refused);
        assert.equal(neverReachedBroker(err), true);
        return true;
      },
    );
    assert.equal(posts().length, 0);
    assert.equal(booked.length, 0);
  });

  it('runs beforeSend again before the POST that follows a relogin', async () => {
    await start();
    rig.broker.script('POST orders/regular', {
      status: 401,
      body: ERRORS.token,
    });
    let calls = 0;
    await rig.client.placeOrder(BUY_MM, {
      beforeSend: () => {
        calls += 1;
        return Promise.resolve();
      },
    });
    assert.equal(calls, 2);
    assert.equal(posts().length, 2);
  });

  it('says how long a request may stay on the wire', async () => {
    await start({ client: { timeoutMs: 1234 } });
    assert.equal(rig.client.requestTimeoutMs, 1234);
  });

  it('an expired token is refused before acting: relogin and send once more', async () => {
    await start();
    rig.broker.handle('GET orders', ok([]));
    await rig.client.orders();
    rig.broker.expireTokens();
    rig.clock.advance(40_000);
    assert.deepEqual(await rig.client.placeOrder(BUY_MM), {
      orderId: '1131241001100',
    });
    assert.equal(posts().length, 2);
    assert.equal(rig.broker.calls('POST session/verifytotp').length, 2);
    // Refused by the token check, so only the second reached the book.
    assert.equal(booked.length, 1);
  });

  it('a second token refusal is final, with no third POST', async () => {
    await start();
    rig.broker.script(
      'POST orders/regular',
      { status: 401, body: ERRORS.token },
      { status: 401, body: ERRORS.token },
    );
    await assert.rejects(
      rig.client.placeOrder(BUY_MM),
      (err) => err instanceof BrokerError && err.kind === 'token',
    );
    assert.equal(posts().length, 2);
  });

  it('market closed (HTTP 200 InputException) is an input refusal', async () => {
    await start();
    rig.broker.script('POST orders/regular', { body: MARKET_CLOSED });
    await assert.rejects(rig.client.placeOrder(BUY_MM), (err) => {
      assert.ok(err instanceof BrokerError);
      assert.equal(err.kind, 'input');
      assert.equal(
        err.brokerMessage,
        'System is not connected to NSE Equity market',
      );
      assert.match(err.message, /System is not connected to NSE Equity market/);
      return true;
    });
    assert.equal(posts().length, 1);
  });

  it('a Mirae refusal is "rejected"; an IP mismatch is "auth"', async () => {
    await start();
    rig.broker.script(
      'POST orders/regular',
      {
        status: 200,
        body: {
          status: 'error',
          message: 'something went wrong',
          error_type: 'MiraeException',
        },
      },
      {
        status: 403,
        body: {
          status: 'error',
          message:
            'Primary and Secondary IP Address are not matching with current IP address.',
          error_type: 'APIKeyException',
          data: null,
        },
      },
    );
    await assert.rejects(
      rig.client.placeOrder(BUY_MM),
      (err) => err instanceof BrokerError && err.kind === 'rejected',
    );
    await assert.rejects(rig.client.placeOrder(BUY_MM), (err) => {
      assert.ok(err instanceof BrokerError);
      assert.equal(err.kind, 'auth');
      assert.match(err.message, /IP address/);
      return true;
    });
    assert.equal(posts().length, 2);
  });

  it('a 429 is not an unknown outcome and is not retried', async () => {
    await start();
    rig.broker.script('POST orders/regular', { status: 429, raw: 'slow down' });
    await assert.rejects(
      rig.client.placeOrder(BUY_MM),
      (err) => err instanceof BrokerError && err.kind === 'rate-limited',
    );
    assert.equal(posts().length, 1);
  });

  it('while offline an order fails fast and is known not to be placed', async () => {
    await start({ client: { offlineAfterFailures: 1, readRetries: 0 } });
    rig.broker.handle('GET orders', { status: 503, raw: '' });
    await assert.rejects(rig.client.orders(), BrokerError);
    await assert.rejects(
      rig.client.placeOrder(BUY_MM),
      (err) => err instanceof BrokerError && err.kind === 'offline',
    );
    assert.equal(posts().length, 0);
  });

  it('a LIMIT without a price never leaves the process', async () => {
    await start();
    await assert.rejects(
      rig.client.placeOrder({ ...BUY_MM, price: undefined }),
      (err) => err instanceof BrokerError && err.kind === 'input',
    );
    assert.equal(rig.broker.journal.length, 0);
  });

  it('cancels with DELETE on the order path', async () => {
    await start();
    rig.broker.handle(
      'DELETE orders/regular/{id}',
      ok({ order_id: '1161241001100' }),
    );
    await rig.client.cancelOrder('1161241001100');
    const [del] = rig.broker.calls('DELETE orders/regular/1161241001100');
    assert.ok(del);
    assert.equal(del.rawBody, '');
  });

  it('cancel of a closed order is "rejected" with the broker message', async () => {
    await start();
    rig.broker.handle('DELETE orders/regular/{id}', { body: ORDER_MISSING });
    await assert.rejects(rig.client.cancelOrder('42'), (err) => {
      assert.ok(err instanceof BrokerError);
      assert.equal(err.kind, 'rejected');
      assert.match(err.brokerMessage ?? '', /^Order Does not Exsist/);
      return true;
    });
    assert.equal(rig.broker.calls('DELETE orders/regular/42').length, 1);
  });

  it('cancel retries an outage at most once; a 401 relogs in once', async () => {
    await start();
    rig.broker.handle('DELETE orders/regular/{id}', {
      status: 502,
      raw: htmlPage(),
    });
    await assert.rejects(
      rig.client.cancelOrder('7'),
      (err) => err instanceof BrokerError && err.kind === 'unavailable',
    );
    assert.equal(rig.broker.calls('DELETE orders/regular/7').length, 2);

    rig.broker.handle('DELETE orders/regular/{id}', ok({ order_id: '8' }));
    rig.broker.expireTokens();
    rig.clock.advance(40_000);
    await rig.client.cancelOrder('8');
    assert.equal(rig.broker.calls('DELETE orders/regular/8').length, 2);
  });

  it('cancels all with POST orders/cancelall: an empty form, no count', async () => {
    await start();
    rig.broker.handle('POST orders/cancelall', fixtureReply('cancel-all.json'));
    await rig.client.cancelAll();
    const [post] = rig.broker.calls('POST orders/cancelall');
    assert.ok(post);
    assert.equal(post.rawBody, '');
    assert.equal(rig.broker.calls('POST orders/cancelall').length, 1);
  });

  it('cancel-all relogs in once on a 401 and retries an outage once', async () => {
    await start();
    rig.broker.handle('POST orders/cancelall', fixtureReply('cancel-all.json'));
    await rig.client.cancelAll();
    rig.broker.expireTokens();
    rig.clock.advance(40_000);
    await rig.client.cancelAll();
    // The refused POST, then one after the relogin.
    assert.equal(rig.broker.calls('POST orders/cancelall').length, 3);
    assert.equal(rig.broker.issuedTokens.length, 2);

    rig.broker.handle('POST orders/cancelall', {
      status: 503,
      raw: htmlPage(),
    });
    await assert.rejects(
      rig.client.cancelAll(),
      (err) => err instanceof BrokerError && err.kind === 'unavailable',
    );
    assert.equal(rig.broker.calls('POST orders/cancelall').length, 5);
  });

  it('reads the trade book row by row', async () => {
    await start();
    const reply = fixtureReply('tradebook.json');
    const [row] = (reply.body as { data: Record<string, unknown>[] }).data;
    rig.broker.handle('GET tradebook', ok([row, { ...row, ORDER_NUMBER: '' }]));
    const trades = await rig.client.tradeBook();
    assert.equal(trades.length, 1);
    assert.equal(trades.unreadableRows, 1);
    assert.equal(trades[0]?.orderId, '21612506101476');
    assert.equal(trades[0]?.price, 6.98);
    assert.equal(trades[0]?.side, 'SELL');
  });
});

/** A fixture file as the fake broker's reply. */
function fixtureReply(name: string): Scripted {
  const path = join('test/fixtures/mstock-type-a', name);
  return { body: JSON.parse(readFileSync(path, 'utf8')) as unknown };
}
