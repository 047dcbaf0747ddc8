import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { HALTED_MESSAGE } from '../../src/queue/job-errors.ts';
import type { CallOutcome, PanicReport } from '../../src/queue/jobs.ts';
import { refusal, unavailable } from '../support/fake-broker-client.ts';
import {
  startHarness,
  waitFor,
  type Harness,
} from '../support/queue-harness.ts';

function report(outcome: CallOutcome<PanicReport>): PanicReport {
  assert.equal(outcome.status, 'done', JSON.stringify(outcome));
  return (outcome as { value: PanicReport }).value;
}

const ids = (orders: { orderId: string }[]) => orders.map((o) => o.orderId);

describe('panic', { timeout: 30_000 }, () => {
  let h: Harness;

  before(async () => {
    h = await startHarness('panic');
  });
  after(async () => {
    await h.close();
  });
  /** The fake's journal spans the file; tests compare before and after. */
  const counts = () => ({
    orders: h.client.count('orders'),
    cancelAll: h.client.count('cancelAll'),
    cancelOrder: h.client.count('cancelOrder'),
  });
  const since = (before: ReturnType<typeof counts>) => {
    const now = counts();
    return {
      orders: now.orders - before.orders,
      cancelAll: now.cancelAll - before.cancelAll,
      cancelOrder: now.cancelOrder - before.cancelOrder,
    };
  };

  beforeEach(async () => {
    h.client.clearBook();
    await h.control.resume(1);
  });

  it('cancels what it can and counts an order filled meanwhile as closed', async () => {
    const a = h.client.addOrder({ symbol: 'INFY' });
    const b = h.client.addOrder({ symbol: 'TCS', quantity: 10 });
    const c = h.client.addOrder({ symbol: 'M&M' });
    h.client.addOrder({ symbol: 'SBIN', state: 'filled', filledQuantity: 10 });
    h.client.scriptCancel(b.orderId, {
      kind: 'fill-first',
      averagePrice: 1502.05,
    });

    const r = report(await h.gateway.call('panic', { requestedBy: 9 }));

    assert.equal(r.openBefore, 3);
    assert.deepEqual(ids(r.cancelled), [a.orderId, c.orderId]);
    assert.deepEqual(ids(r.alreadyClosed), [b.orderId]);
    // Reported as the second look shows it: 10 @ 1502.05.
    assert.equal(r.alreadyClosed[0]?.state, 'filled');
    assert.equal(r.alreadyClosed[0]?.filledQuantity, 10);
    assert.equal(r.alreadyClosed[0]?.averagePrice, 1502.05);
    assert.deepEqual(r.failed, []);
    assert.deepEqual(r.stillOpen, []);
    assert.equal(r.verified, true);
    assert.equal(h.client.count('cancelOrder'), 3);
    assert.deepEqual(await h.control.haltInfo().then((i) => [i.halted, i.by]), [
      true,
      9,
    ]);
  });

  it('goes on past a genuine error and lists that order as failed and open', async () => {
    const a = h.client.addOrder({ symbol: 'INFY' });
    const b = h.client.addOrder({ symbol: 'TCS' });
    const c = h.client.addOrder({ symbol: 'M&M' });
    h.client.scriptCancel(b.orderId, { kind: 'error', error: unavailable() });

    const r = report(await h.gateway.call('panic', { requestedBy: 9 }));

    assert.deepEqual(ids(r.cancelled), [a.orderId, c.orderId]);
    assert.deepEqual(r.alreadyClosed, []);
    assert.deepEqual(
      r.failed.map((f) => [f.order.orderId, f.reason]),
      [[b.orderId, 'The broker is not answering (HTTP 500).']],
    );
    assert.deepEqual(ids(r.stillOpen), [b.orderId]);
    assert.equal(r.verified, true);
  });

  it('is harmless run twice, and the halt then blocks new orders', async () => {
    h.client.addOrder({ symbol: 'INFY' });
    const first = report(await h.gateway.call('panic', { requestedBy: 9 }));
    const second = report(await h.gateway.call('panic', { requestedBy: 9 }));
    assert.equal(first.cancelled.length, 1);
    assert.deepEqual(second, {
      openBefore: 0,
      cancelled: [],
      alreadyClosed: [],
      failed: [],
      stillOpen: [],
      verified: true,
    });

    const placed = h.client.count('placeOrder');
    const outcome = await h.gateway.call('place-order', {
      intentId: 'after-panic',
      requestedBy: 9,
      request: {
        exchange: 'NSE',
        symbol: 'INFY',
        side: 'BUY',
        quantity: 1,
        orderType: 'MARKET',
        product: 'MIS',
        tag: 'after-panic',
      },
    });
    assert.deepEqual(outcome, { status: 'failed', message: HALTED_MESSAGE });
    assert.equal(h.client.count('placeOrder'), placed);
  });

  it('treats an order in an unknown state as possibly open', async () => {
    const a = h.client.addOrder({ symbol: 'INFY', state: 'unknown' });
    const b = h.client.addOrder({ symbol: 'TCS', state: 'unknown' });
    h.client.addOrder({ symbol: 'SBIN', state: 'filled', filledQuantity: 10 });
    h.client.scriptCancel(b.orderId, {
      kind: 'error',
      error: refusal('Order cannot be cancelled in this state.'),
    });

    const r = report(await h.gateway.call('panic', { requestedBy: 9 }));

    assert.equal(r.openBefore, 2);
    assert.deepEqual(ids(r.cancelled), [a.orderId]);
    assert.deepEqual(r.alreadyClosed, []);
    assert.deepEqual(
      r.failed.map((f) => [f.order.orderId, f.reason]),
      [[b.orderId, 'Order cannot be cancelled in this state.']],
    );
    assert.deepEqual(ids(r.stillOpen), [b.orderId]);
    assert.equal(r.stillOpen[0]?.status, 'Frozen');
  });

  it('counts book rows it could not read and does not claim all is clear', async () => {
    const a = h.client.addOrder({ symbol: 'INFY' });
    h.client.unreadableRows = 2;
    try {
      const r = report(await h.gateway.call('panic', { requestedBy: 9 }));
      assert.deepEqual(ids(r.cancelled), [a.orderId]);
      assert.deepEqual(r.stillOpen, []);
      assert.equal(r.unreadableRows, 2);
      assert.equal(r.verified, false);
    } finally {
      h.client.unreadableRows = 0;
    }
  });

  it('says unverified when the second look fails', async () => {
    const a = h.client.addOrder({ symbol: 'INFY' });
    const b = h.client.addOrder({ symbol: 'TCS' });
    h.client.scriptCancel(b.orderId, { kind: 'error', error: unavailable() });
    // First read succeeds; the re-read after the cancels fails.
    const orders = h.client.orders.bind(h.client);
    let reads = 0;
    h.client.orders = async () => {
      reads += 1;
      if (reads === 2) throw unavailable('The order book did not load.');
      return orders();
    };
    try {
      const r = report(await h.gateway.call('panic', { requestedBy: 9 }));
      assert.deepEqual(ids(r.cancelled), [a.orderId]);
      assert.equal(r.verified, false);
      assert.deepEqual(ids(r.stillOpen), [b.orderId]);
    } finally {
      h.client.orders = orders;
    }
  });

  it('cancels all at once when the book cannot be read, and says so', async () => {
    h.client.addOrder({ symbol: 'INFY' });
    h.client.addOrder({ symbol: 'TCS', state: 'unknown' });
    h.client.failNext('orders', unavailable('The order book did not load.'));
    const before = counts();

    const r = report(await h.gateway.call('panic', { requestedBy: 9 }));

    assert.equal(r.usedCancelAll, true);
    // Read twice: the failed first look, then the re-read for the report.
    assert.deepEqual(since(before), {
      orders: 2,
      cancelAll: 1,
      cancelOrder: 0,
    });
    assert.equal(r.openBefore, 0);
    assert.deepEqual(r.cancelled, []);
    assert.deepEqual(r.stillOpen, []);
    assert.equal(r.verified, true);
    assert.equal(await h.control.isHalted(), true);
  });

  it('after a cancel-all, an unreadable second look is unverified', async () => {
    h.client.addOrder({ symbol: 'INFY' });
    h.client.failNext('orders', unavailable('The order book did not load.'));
    h.client.failNext('orders', unavailable('Still not loading.'));

    const r = report(await h.gateway.call('panic', { requestedBy: 9 }));

    assert.equal(r.usedCancelAll, true);
    assert.equal(r.verified, false);
    assert.deepEqual(r.stillOpen, []);
  });

  it('stays halted and says so when neither the book nor cancel-all works', async () => {
    h.client.addOrder({ symbol: 'INFY' });
    h.client.failNext('orders', unavailable('The order book did not load.'));
    h.client.failNext('cancelAll', unavailable('Cancel-all did not go.'));
    const before = counts();
    const outcome = await h.gateway.call('panic', { requestedBy: 9 });
    assert.equal(outcome.status, 'failed');
    assert.match(
      outcome.status === 'failed' ? outcome.message : '',
      /^Trading is halted, but the order book could not be read \(The order book did not load\.\), and cancelling every order at once failed too \(Cancel-all did not go\.\)/,
    );
    assert.equal(await h.control.isHalted(), true);
    assert.equal(since(before).cancelAll, 1);
  });

  it('never cancels all when the book can be read', async () => {
    const a = h.client.addOrder({ symbol: 'INFY' });
    const before = counts();
    const r = report(await h.gateway.call('panic', { requestedBy: 9 }));
    assert.equal(r.usedCancelAll, undefined);
    assert.deepEqual(ids(r.cancelled), [a.orderId]);
    assert.equal(since(before).cancelAll, 0);
  });
});

const RACE_ORDER = {
  exchange: 'NSE',
  symbol: 'INFY',
  side: 'BUY',
  quantity: 1,
  orderType: 'LIMIT',
  price: 1400,
  product: 'CNC',
} as const;

describe('panic behind waiting order jobs', { timeout: 30_000 }, () => {
  it('runs before the place jobs already waiting, which then meet the halt', async () => {
    const h = await startHarness('panic-first'); // one worker process
    try {
      let land = () => {};
      h.client.placeGate = new Promise<void>((resolve) => (land = resolve));
      const order = (tag: string) => ({
        intentId: tag,
        requestedBy: 9,
        request: { ...RACE_ORDER, tag },
      });
      const wait = { deadlineMs: 15_000 };
      const first = h.gateway.call('place-order', order('first'), wait);
      await waitFor(
        'the first POST to leave',
        () => h.client.posts.length === 1,
      );
      const queued = ['second', 'third'].map((tag) =>
        h.gateway.call('place-order', order(tag), wait),
      );
      await waitFor(
        'two jobs waiting',
        async () => (await h.gateway.depth()).waiting === 2,
      );
      const panicking = h.gateway.call('panic', { requestedBy: 9 }, wait);
      await waitFor(
        'the panic waiting too',
        async () => (await h.gateway.depth()).waiting === 3,
      );

      land();
      const r = report(await panicking);
      const placed = await first;
      assert.ok(
        placed.status === 'done' && placed.value.outcome === 'submitted',
      );
      assert.deepEqual(ids(r.cancelled), [placed.value.orderId]);
      for (const outcome of await Promise.all(queued)) {
        assert.deepEqual(outcome, {
          status: 'failed',
          message: HALTED_MESSAGE,
        });
      }
      assert.equal(h.client.posts.length, 1);
    } finally {
      await h.close();
    }
  });
});

describe(
  'panic against order POSTs on other workers',
  { timeout: 30_000 },
  () => {
    let h: Harness;

    beforeEach(async () => {
      h = await startHarness('panic-race');
      await h.addWorkers(); // a second worker process
    });
    afterEach(async () => {
      await h.close();
    });

    it('waits for a POST already on the wire, then cancels its order', async () => {
      let land = () => {};
      h.client.placeGate = new Promise<void>((resolve) => (land = resolve));
      const placing = h.gateway.call(
        'place-order',
        {
          intentId: 'race-1',
          requestedBy: 9,
          request: { ...RACE_ORDER, tag: 'race-1' },
        },
        { deadlineMs: 15_000 },
      );
      // The POST has left one worker when the panic starts on the other.
      await waitFor('the POST to leave', () => h.client.posts.length === 1);
      let panicDone = false;
      const panicking = h.gateway
        .call('panic', { requestedBy: 9 }, { deadlineMs: 15_000 })
        .finally(() => (panicDone = true));
      await waitFor('the halt', () => h.control.isHalted());
      await sleep(600);
      assert.equal(panicDone, false, 'panic waits for the POST in flight');

      land();
      const r = report(await panicking);
      const placed = await placing;
      assert.equal(placed.status, 'done', JSON.stringify(placed));
      const orderId =
        placed.status === 'done' && placed.value.outcome === 'submitted'
          ? placed.value.orderId
          : '';
      assert.deepEqual(ids(r.cancelled), [orderId]);
      assert.deepEqual(r.stillOpen, []);
    });

    it('never sends a POST whose last check comes after the halt', async () => {
      // A relogin or a rate-limiter wait before the POST: long enough for a
      // panic to run from start to end meanwhile.
      h.client.delays.placeOrder = 800;
      const placing = h.gateway.call('place-order', {
        intentId: 'race-2',
        requestedBy: 9,
        request: { ...RACE_ORDER, tag: 'race-2' },
      });
      await waitFor(
        'the job to reach the client',
        () => h.client.count('placeOrder') === 1,
      );
      const r = report(await h.gateway.call('panic', { requestedBy: 9 }));
      assert.equal(r.openBefore, 0);

      assert.deepEqual(await placing, {
        status: 'failed',
        message: HALTED_MESSAGE,
      });
      assert.deepEqual(h.client.posts, []);
      assert.deepEqual(h.client.orderList(), []);
      // Nothing is left claimed: the intent never went out.
      assert.equal(await h.redis.exists(`${h.prefix}:intent:race-2`), 0);
    });

    it('ignores a mark older than the bound (a worker that died mid-POST)', async () => {
      const [s] = await h.redis.time();
      await h.redis.zadd(
        `${h.prefix}:intent:placing`,
        (Number(s) - 60) * 1000,
        'dead',
      );
      const started = Date.now();
      report(await h.gateway.call('panic', { requestedBy: 9 }));
      assert.ok(
        Date.now() - started < 2_000,
        `took ${Date.now() - started} ms`,
      );
    });

    it('waits for a fresh mark no longer than the bound', async () => {
      h.client.requestTimeoutMs = 200; // bound: 200 ms + the 5 s margin
      const [s, us] = await h.redis.time();
      const at = Number(s) * 1000 + Math.floor(Number(us) / 1000);
      await h.redis.zadd(`${h.prefix}:intent:placing`, at, 'dying');
      const started = Date.now();
      const r = report(
        await h.gateway.call(
          'panic',
          { requestedBy: 9 },
          { deadlineMs: 15_000 },
        ),
      );
      const took = Date.now() - started;
      assert.ok(took >= 4_500 && took < 8_000, `took ${took} ms`);
      assert.equal(r.verified, true);
    });
  },
);
