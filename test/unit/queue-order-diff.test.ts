import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  alertJobId,
  decodeEntry,
  diffOrders,
  encodeEntry,
  type SnapshotEntry,
} from '../../src/alerts/order-diff.ts';
import type { Order } from '../../src/mstock/types.ts';
import { istText } from '../support/fake-broker-client.ts';
import { sampleOrder } from '../support/sample-order.ts';

function order(fields: Partial<Order> & { orderId: string }): Order {
  return sampleOrder({
    quantity: 10,
    pendingQuantity: 10,
    placedAt: null,
    ...fields,
  });
}

const none = { ownRecent: new Set<string>(), placing: false };

describe('diffOrders', () => {
  it('records a new open order without news', () => {
    const result = diffOrders(new Map(), [order({ orderId: 'A' })], none);
    assert.deepEqual(result.changes, []);
    assert.deepEqual(result.updates.get('A'), { state: 'open', filled: 0 });
  });

  it('reports a partial fill, then the full fill, with the previous quantity', () => {
    const before = new Map<string, SnapshotEntry>([
      ['A', { state: 'open', filled: 0 }],
    ]);
    const partial = diffOrders(
      before,
      [order({ orderId: 'A', filledQuantity: 4 })],
      none,
    );
    assert.deepEqual(
      partial.changes.map((c) => [c.change, c.previousFilled, c.jobId]),
      [['partial', 0, 'A:open:4']],
    );

    const full = diffOrders(
      new Map(partial.updates),
      [order({ orderId: 'A', filledQuantity: 10, state: 'filled' })],
      none,
    );
    assert.deepEqual(
      full.changes.map((c) => [c.change, c.previousFilled, c.jobId]),
      [['filled', 4, 'A:filled:10']],
    );
  });

  it('says nothing when nothing moved', () => {
    const before = new Map<string, SnapshotEntry>([
      ['A', { state: 'open', filled: 4 }],
    ]);
    const result = diffOrders(
      before,
      [order({ orderId: 'A', filledQuantity: 4 })],
      none,
    );
    assert.equal(result.changes.length, 0);
    assert.equal(result.updates.size, 0);
  });

  it('alerts a first-seen closed order only when we placed it', () => {
    const rejected = order({
      orderId: 'X1',
      state: 'rejected',
      statusMessage: 'RMS: insufficient funds',
    });
    const ours = diffOrders(new Map(), [rejected], {
      ownRecent: new Set(['X1']),
      placing: false,
    });
    assert.deepEqual(
      ours.changes.map((c) => c.change),
      ['rejected'],
    );

    const old = diffOrders(new Map(), [rejected], none);
    assert.equal(old.changes.length, 0);
    assert.deepEqual(old.updates.get('X1'), { state: 'rejected', filled: 0 });
  });

  it('alerts someone else’s first-seen closed order only when placed after the last look', () => {
    const NOW = Date.UTC(2025, 1, 6, 6, 0, 0);
    const since = {
      ownRecent: new Set<string>(),
      placing: false,
      othersSince: { at: NOW - 60_000, now: NOW },
    };
    const result = diffOrders(
      new Map(),
      [
        order({
          orderId: 'NEW',
          state: 'filled',
          filledQuantity: 10,
          placedAt: istText(NOW - 30_000),
        }),
        order({
          orderId: 'OLD',
          state: 'filled',
          filledQuantity: 10,
          placedAt: istText(NOW - 90_000),
        }),
        order({ orderId: 'UNDATED', state: 'rejected', placedAt: 'soon' }),
        order({
          orderId: 'PART',
          filledQuantity: 4,
          placedAt: istText(NOW - 30_000),
        }),
      ],
      since,
    );
    assert.deepEqual(
      result.changes.map((c) => [c.order.orderId, c.change]),
      [['NEW', 'filled']],
    );
    // Each enters the snapshot; the open one alerts as it changes later.
    assert.deepEqual(
      [...result.updates.keys()],
      ['NEW', 'OLD', 'UNDATED', 'PART'],
    );
    assert.deepEqual(result.updates.get('PART'), { state: 'open', filled: 4 });
  });

  it('leaves an unknown closed order for later while a POST is in flight', () => {
    const result = diffOrders(
      new Map(),
      [order({ orderId: 'X2', state: 'filled', filledQuantity: 10 })],
      { ownRecent: new Set(), placing: true },
    );
    assert.equal(result.changes.length, 0);
    assert.equal(result.updates.has('X2'), false);
  });

  it('reports rejection and cancellation of a known order', () => {
    const before = new Map<string, SnapshotEntry>([
      ['A', { state: 'open', filled: 0 }],
      ['B', { state: 'open', filled: 3 }],
    ]);
    const result = diffOrders(
      before,
      [
        order({ orderId: 'A', state: 'rejected' }),
        order({ orderId: 'B', state: 'cancelled', filledQuantity: 3 }),
      ],
      none,
    );
    assert.deepEqual(
      result.changes.map((c) => [c.order.orderId, c.change]),
      [
        ['A', 'rejected'],
        ['B', 'cancelled'],
      ],
    );
  });

  it('never alerts a closed order again, and forgets orders that left', () => {
    const before = new Map<string, SnapshotEntry>([
      ['A', { state: 'filled', filled: 10 }],
      ['OLD', { state: 'cancelled', filled: 0 }],
    ]);
    const result = diffOrders(
      before,
      [order({ orderId: 'A', state: 'cancelled', filledQuantity: 10 })],
      none,
    );
    assert.equal(result.changes.length, 0);
    assert.deepEqual(result.gone, ['OLD']);
  });

  it('builds job ids BullMQ accepts and round-trips entries', () => {
    assert.equal(
      alertJobId(order({ orderId: 'a:b', state: 'open', filledQuantity: 2 })),
      'a_b:open:2',
    );
    const entry: SnapshotEntry = { state: 'open', filled: 7 };
    assert.deepEqual(decodeEntry(encodeEntry(entry)), entry);
    assert.equal(decodeEntry('weird|1'), null);
  });
});
