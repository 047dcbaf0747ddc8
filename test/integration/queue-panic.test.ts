import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { HALTED_MESSAGE } from '../../src/queue/job-errors.ts';
import type { CallOutcome, PanicReport } from '../../src/queue/jobs.ts';
import { unavailable } from '../support/fake-broker-client.ts';
import { startHarness, type Harness } from '../support/queue-harness.ts';

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

  it('stays halted and says so when the book cannot be read', async () => {
    h.client.addOrder({ symbol: 'INFY' });
    h.client.failNext('orders', unavailable('The order book did not load.'));
    const outcome = await h.gateway.call('panic', { requestedBy: 9 });
    assert.equal(outcome.status, 'failed');
    assert.match(
      outcome.status === 'failed' ? outcome.message : '',
      /^Trading is halted, but the order book could not be read \(The order book did not load\.\)/,
    );
    assert.equal(await h.control.isHalted(), true);
  });
});

describe(
  'panic while an order POST is in flight elsewhere',
  { timeout: 30_000 },
  () => {
    it('waits for it and cancels the new order too', async () => {
      const h = await startHarness('panic-race');
      try {
        await h.addWorkers(); // a second worker process
        h.client.delays.placeOrder = 400;
        const placing = h.gateway.call('place-order', {
          intentId: 'race-1',
          requestedBy: 9,
          request: {
            exchange: 'NSE',
            symbol: 'INFY',
            side: 'BUY',
            quantity: 1,
            orderType: 'LIMIT',
            price: 1400,
            product: 'CNC',
            tag: 'race-1',
          },
        });
        // The POST has begun on one worker when the panic starts on the other.
        while (h.client.count('placeOrder') === 0) {
          await new Promise((r) => setTimeout(r, 10));
        }
        const r = report(await h.gateway.call('panic', { requestedBy: 9 }));
        const placed = await placing;
        assert.equal(placed.status, 'done');
        const orderId =
          placed.status === 'done' && placed.value.outcome === 'submitted'
            ? placed.value.orderId
            : '';
        assert.deepEqual(ids(r.cancelled), [orderId]);
        assert.deepEqual(r.stillOpen, []);
      } finally {
        await h.close();
      }
    });
  },
);
