import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { BrokerError } from '../../src/mstock/errors.ts';
import { ORDER_STALLED_MESSAGE } from '../../src/queue/gateway.ts';
import { HALTED_MESSAGE } from '../../src/queue/job-errors.ts';
import type {
  CallOutcome,
  JobData,
  PlaceOrderResult,
} from '../../src/queue/jobs.ts';
import { ControlState } from '../../src/queue/control-state.ts';
import { createIntentStore } from '../../src/queue/intent-store.ts';
import type { OrderProcessorDeps } from '../../src/queue/processors/deps.ts';
import { placeOrderJob } from '../../src/queue/processors/place-order.ts';
import { FakeBrokerClient, istText } from '../support/fake-broker-client.ts';
import {
  startHarness,
  testLogger,
  waitFor,
  type Harness,
} from '../support/queue-harness.ts';
import { connectRedis, deleteKeys, uniquePrefix } from '../support/redis.ts';

let seq = 0;

/** A fresh confirmed intent: its own id and tag. */
function intent(
  fields: Partial<JobData<'place-order'>['request']> = {},
): JobData<'place-order'> {
  seq += 1;
  const intentId = `i-${Date.now().toString(36)}-${seq}`;
  return {
    intentId,
    requestedBy: 42,
    request: {
      exchange: 'NSE',
      symbol: 'INFY',
      side: 'BUY',
      quantity: 5,
      orderType: 'LIMIT',
      price: 1500,
      product: 'CNC',
      tag: intentId.slice(0, 20),
      ...fields,
    },
  };
}

function result(outcome: CallOutcome<PlaceOrderResult>): PlaceOrderResult {
  assert.equal(outcome.status, 'done', JSON.stringify(outcome));
  return (outcome as { value: PlaceOrderResult }).value;
}

describe('place-order', { timeout: 30_000 }, () => {
  let h: Harness;

  before(async () => {
    h = await startHarness('place');
  });
  after(async () => {
    await h.close();
  });
  beforeEach(async () => {
    await h.control.resume(1);
    h.client.echoTags = true;
  });

  it('submits an order and returns it as the book shows it', async () => {
    const data = intent();
    const placed = result(await h.gateway.call('place-order', data));
    assert.equal(placed.outcome, 'submitted');
    assert.ok(placed.outcome === 'submitted');
    assert.equal(placed.confirmedBy, 'broker-reply');
    assert.equal(placed.order?.orderId, placed.orderId);
    assert.equal(placed.order?.tag, data.request.tag);
  });

  it('reads the book for its reply in the background, and does without it', async () => {
    h.client.failNext(
      'orders',
      new BrokerError('rate-limited', 'The data budget is in use.'),
    );
    const placed = result(await h.gateway.call('place-order', intent()));
    assert.ok(placed.outcome === 'submitted');
    assert.equal(placed.order, null);
    const reads = h.client.calls.filter((c) => c.method === 'orders');
    assert.deepEqual(reads.at(-1)?.args, [{ background: true }]);
  });

  it('refuses while halted and sends nothing', async () => {
    await h.control.halt(7);
    const before = h.client.count('placeOrder');
    const outcome = await h.gateway.call('place-order', intent());
    assert.deepEqual(outcome, { status: 'failed', message: HALTED_MESSAGE });
    assert.equal(h.client.count('placeOrder'), before);
  });

  it('posts one order for one intent sent as two jobs', async () => {
    const data = intent();
    const before = h.client.count('placeOrder');
    const first = result(
      await h.gateway.call('place-order', data, {
        jobId: `${data.intentId}-a`,
      }),
    );
    const second = result(
      await h.gateway.call('place-order', data, {
        jobId: `${data.intentId}-b`,
      }),
    );
    assert.equal(h.client.count('placeOrder') - before, 1);
    assert.ok(first.outcome === 'submitted' && second.outcome === 'submitted');
    assert.equal(second.orderId, first.orderId);
  });

  it('posts one order when two workers run the same intent at once', async () => {
    const second = await h.addWorkers();
    h.client.delays.placeOrder = 300;
    try {
      const data = intent();
      const before = h.client.count('placeOrder');
      const [a, b] = await Promise.all([
        h.gateway.call('place-order', data, { jobId: `${data.intentId}-x` }),
        h.gateway.call('place-order', data, { jobId: `${data.intentId}-y` }),
      ]);
      assert.equal(h.client.count('placeOrder') - before, 1);
      const ra = result(a);
      const rb = result(b);
      assert.ok(ra.outcome === 'submitted' && rb.outcome === 'submitted');
      assert.equal(ra.orderId, rb.orderId);
    } finally {
      delete h.client.delays.placeOrder;
      await second.close();
    }
  });

  it('finds an order whose reply was lost by its tag, without a second POST', async () => {
    h.client.scriptPlace({ kind: 'unknown-after-record' });
    const data = intent();
    const before = h.client.count('placeOrder');
    const placed = result(await h.gateway.call('place-order', data));
    assert.ok(placed.outcome === 'submitted', JSON.stringify(placed));
    assert.equal(placed.confirmedBy, 'order-tag');
    assert.equal(placed.order?.tag, data.request.tag);
    assert.equal(h.client.count('placeOrder') - before, 1);
  });

  it('finds it by symbol, side, quantity and time when tags are not echoed', async () => {
    // A broker that drops tags drops all of them: start from an empty book.
    h.client.clearBook();
    h.client.echoTags = false;
    h.client.scriptPlace({ kind: 'unknown-after-record' });
    const data = intent({ symbol: 'M&M', quantity: 3, price: 2900.5 });
    const placed = result(await h.gateway.call('place-order', data));
    assert.ok(placed.outcome === 'submitted', JSON.stringify(placed));
    assert.equal(placed.confirmedBy, 'order-fields');
    assert.equal(placed.order?.symbol, 'M&M');
  });

  it('reports unknown when the order is not in the book, and never re-posts', async () => {
    h.client.scriptPlace({ kind: 'unknown-without-record' });
    const data = intent({ symbol: 'TCS' });
    const before = h.client.count('placeOrder');
    const first = result(
      await h.gateway.call('place-order', data, {
        jobId: `${data.intentId}-1`,
      }),
    );
    assert.equal(first.outcome, 'unknown');
    assert.match(
      first.outcome === 'unknown' ? first.detail : '',
      /not in the order book.*Check \/orders/,
    );

    // The broker shows the order late; the same intent run again finds it.
    const late = h.client.addOrder({
      symbol: 'TCS',
      quantity: 5,
      price: 1500,
      tag: data.request.tag,
      placedAt: istText(Date.now()),
    });
    const second = result(
      await h.gateway.call('place-order', data, {
        jobId: `${data.intentId}-2`,
      }),
    );
    assert.ok(second.outcome === 'submitted');
    assert.equal(second.orderId, late.orderId);
    assert.equal(h.client.count('placeOrder') - before, 1);
  });

  it('says so when book rows it could not read may hide the order', async () => {
    h.client.scriptPlace({ kind: 'unknown-without-record' });
    h.client.unreadableRows = 1;
    try {
      const placed = result(
        await h.gateway.call('place-order', intent({ symbol: 'SBIN' })),
      );
      assert.equal(placed.outcome, 'unknown');
      assert.match(
        placed.outcome === 'unknown' ? placed.detail : '',
        /1 row\(s\) of the order book could not be read/,
      );
    } finally {
      h.client.unreadableRows = 0;
    }
  });

  it('keeps a broker refusal final for the intent', async () => {
    h.client.scriptPlace({
      kind: 'error',
      error: new BrokerError(
        'input',
        'The exchange is closed; try again in market hours.',
      ),
    });
    const data = intent();
    const before = h.client.count('placeOrder');
    for (const suffix of ['1', '2']) {
      const outcome = await h.gateway.call('place-order', data, {
        jobId: `${data.intentId}-${suffix}`,
      });
      assert.deepEqual(outcome, {
        status: 'failed',
        message: 'The exchange is closed; try again in market hours.',
      });
    }
    assert.equal(h.client.count('placeOrder') - before, 1);
  });

  it('reports an intent sent before a halt without sending it again', async () => {
    const data = intent();
    const first = result(
      await h.gateway.call('place-order', data, {
        jobId: `${data.intentId}-1`,
      }),
    );
    await h.control.halt(7);
    const before = h.client.count('placeOrder');
    const again = result(
      await h.gateway.call('place-order', data, {
        jobId: `${data.intentId}-2`,
      }),
    );
    assert.deepEqual(again, first);
    assert.equal(h.client.count('placeOrder'), before);
  });

  it('says submitted, not filled, when the book shows the order rejected', async () => {
    h.client.scriptPlace({
      kind: 'ok',
      state: 'rejected',
      statusMessage: 'RMS: FUND LIMIT INSUFFICIENT',
    });
    const placed = result(await h.gateway.call('place-order', intent()));
    assert.ok(placed.outcome === 'submitted');
    assert.equal(placed.order?.state, 'rejected');
  });
});

describe('a stalled order job', { timeout: 30_000 }, () => {
  it('fails for review instead of running again', async () => {
    const timings = { lockDurationMs: 1_000, stalledIntervalMs: 300 };
    const h = await startHarness('stall', { timings });
    try {
      // The POST never returns: the process is about to die.
      h.client.placeGate = new Promise<void>(() => {});
      const data = intent();
      const pending = h.gateway.call('place-order', data, {
        deadlineMs: 15_000,
      });
      await waitFor(
        'the POST to start',
        () => h.client.count('placeOrder') === 1,
      );

      // The worker dies mid-POST; another one is running.
      await h.workers.close({ force: true });
      // A minute on, so the dead worker's claim no longer looks in flight.
      await h.addWorkers({ timings, now: () => Date.now() + 60_000 });

      const outcome = await pending;
      assert.deepEqual(outcome, {
        status: 'failed',
        message: ORDER_STALLED_MESSAGE,
      });
      assert.equal(h.client.count('placeOrder'), 1);

      // The user tries the same intent again: reconciled, not re-posted.
      const retry = result(
        await h.gateway.call('place-order', data, {
          jobId: `${data.intentId}-r`,
        }),
      );
      assert.equal(retry.outcome, 'unknown');
      assert.equal(h.client.count('placeOrder'), 1);
    } finally {
      await h.close();
    }
  });
});

describe('a place-order job that waited too long', { timeout: 30_000 }, () => {
  it('is not sent, unless its intent already has an outcome to report', async () => {
    const h = await startHarness('stale');
    try {
      const earlier = intent();
      const first = result(await h.gateway.call('place-order', earlier));
      assert.equal(first.outcome, 'submitted');

      // Workers whose clock reads 200 s after each job was added: as if
      // every job had waited that long for a worker.
      await h.workers.close();
      await h.addWorkers({ now: () => Date.now() + 200_000 });

      const fresh = intent({ orderType: 'MARKET', price: undefined });
      const outcome = await h.gateway.call('place-order', fresh);
      assert.deepEqual(outcome, {
        status: 'failed',
        message:
          'This order waited too long in the queue (200 s) and was not sent; place it again if you still want it.',
      });
      assert.equal(h.client.posts.length, 1);
      assert.equal(
        await h.redis.exists(`${h.prefix}:intent:${fresh.intentId}`),
        0,
      );

      const again = result(
        await h.gateway.call('place-order', earlier, {
          jobId: `${earlier.intentId}-again`,
        }),
      );
      assert.deepEqual(again, first);
      assert.equal(h.client.posts.length, 1);
    } finally {
      await h.close();
    }
  });
});

describe('reconciling by fields against a claim made meanwhile', () => {
  it('reports unknown instead of taking another intent’s order', async () => {
    const redis = connectRedis();
    const prefix = uniquePrefix('claim');
    try {
      const client = new FakeBrokerClient();
      client.echoTags = false;
      const intents = createIntentStore(redis, prefix);
      const deps: OrderProcessorDeps = {
        client,
        control: new ControlState(redis, prefix),
        redis,
        prefix,
        // The claims as read just before another intent's claim landed.
        intents: {
          ...intents,
          claimedOrders: () => Promise.resolve(new Set()),
        },
        logger: testLogger(),
        now: Date.now,
      };
      const theirs = client.addOrder({
        symbol: 'INFY',
        quantity: 5,
        price: 1500,
      });
      assert.equal(await intents.claimOrder(theirs.orderId, 'other'), true);

      // Our POST's answer is lost and nothing of ours reached the book.
      client.scriptPlace({ kind: 'unknown-without-record' });
      const data = intent();
      const placed = await placeOrderJob(deps, data, {
        id: null,
        enqueuedAt: Date.now(),
      });

      assert.equal(placed.outcome, 'unknown', JSON.stringify(placed));
      assert.equal((await intents.read(data.intentId))?.state, 'unknown');
      assert.deepEqual([...(await intents.claimedOrders())], [theirs.orderId]);
      // The owner itself still sees its order as claimable.
      assert.deepEqual([...(await intents.claimedOrders('other'))], []);
      assert.equal(await intents.claimOrder(theirs.orderId, 'other'), true);
    } finally {
      await deleteKeys(redis, prefix);
      await redis.quit();
    }
  });
});
