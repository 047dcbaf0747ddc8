import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Queue, QueueEvents } from 'bullmq';
import type { CallOutcome, CancelResult } from '../../src/queue/jobs.ts';
import { unavailable } from '../support/fake-broker-client.ts';
import { startHarness, type Harness } from '../support/queue-harness.ts';

function result(outcome: CallOutcome<CancelResult>): CancelResult {
  assert.equal(outcome.status, 'done', JSON.stringify(outcome));
  return (outcome as { value: CancelResult }).value;
}

describe('cancel-order', { timeout: 30_000 }, () => {
  let h: Harness;

  before(async () => {
    h = await startHarness('cancel');
  });
  after(async () => {
    await h.close();
  });

  it('cancels an open order and returns it as the book shows it after', async () => {
    const order = h.client.addOrder({ symbol: 'INFY' });
    const r = result(
      await h.gateway.call('cancel-order', {
        orderId: order.orderId,
        requestedBy: 3,
      }),
    );
    assert.equal(r.outcome, 'cancelled');
    assert.equal(r.order?.state, 'cancelled');
  });

  it('reports an order that filled first as already closed, with its state', async () => {
    const order = h.client.addOrder({ symbol: 'TCS' });
    h.client.fill(order.orderId);
    const r = result(
      await h.gateway.call('cancel-order', {
        orderId: order.orderId,
        requestedBy: 3,
      }),
    );
    assert.deepEqual([r.outcome, r.order?.state], ['already-closed', 'filled']);
  });

  it('says when the order id is not in the book', async () => {
    const outcome = await h.gateway.call('cancel-order', {
      orderId: '9999999999999',
      requestedBy: 3,
    });
    assert.equal(outcome.status, 'failed');
    assert.match(
      outcome.status === 'failed' ? outcome.message : '',
      /9999999999999 is not in today's order book/,
    );
  });

  it('fails with the broker message when the cancel itself fails', async () => {
    const order = h.client.addOrder({ symbol: 'SBIN' });
    h.client.scriptCancel(order.orderId, {
      kind: 'error',
      error: unavailable(),
    });
    const outcome = await h.gateway.call('cancel-order', {
      orderId: order.orderId,
      requestedBy: 3,
    });
    assert.deepEqual(outcome, {
      status: 'failed',
      message: 'The broker is not answering (HTTP 500).',
    });
  });

  it('refuses bad job data at the worker with a clear message', async () => {
    // Straight onto the queue, past the gateway's own validation.
    const queue = new Queue('orders', {
      connection: h.redis,
      prefix: h.prefix,
    });
    // A template BullMQ duplicates, as the gateway does.
    const events = new QueueEvents('orders', {
      connection: h.redis.duplicate({ lazyConnect: true }),
      prefix: h.prefix,
    });
    try {
      await events.waitUntilReady();
      const job = await queue.add('cancel-order', {
        orderId: 'x y',
        requestedBy: 3,
      });
      await assert.rejects(
        job.waitUntilFinished(events, 5_000),
        /cancel-order carries bad data \(orderId: /,
      );
    } finally {
      await events.close();
      await queue.close();
    }
  });
});
