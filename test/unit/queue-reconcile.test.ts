import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Order, PlaceOrderRequest } from '../../src/mstock/types.ts';
import { matchOrder } from '../../src/queue/processors/reconcile-order.ts';
import { istText } from '../support/fake-broker-client.ts';
import { sampleOrder } from '../support/sample-order.ts';

const NOW = Date.UTC(2025, 1, 6, 5, 0, 0);

const request: PlaceOrderRequest = {
  exchange: 'NSE',
  symbol: 'INFY',
  side: 'BUY',
  quantity: 5,
  orderType: 'LIMIT',
  price: 1500,
  product: 'CNC',
  tag: 'i-abc',
};

function order(fields: Partial<Order> & { orderId: string }): Order {
  return sampleOrder({
    placedAt: istText(NOW - 5_000),
    ...fields,
  });
}

const window = {
  startedAt: NOW - 10_000,
  now: NOW,
  exclude: new Set<string>(),
};

describe('matchOrder', () => {
  it('finds our order by its tag', () => {
    const result = matchOrder(
      [
        order({ orderId: '1', tag: 'other' }),
        order({ orderId: '2', tag: 'i-abc' }),
      ],
      request,
      window,
    );
    assert.deepEqual(result.found && [result.order.orderId, result.by], [
      '2',
      'tag',
    ]);
  });

  it('does not guess by fields when the broker echoes tags', () => {
    const result = matchOrder(
      [order({ orderId: '1', tag: 'other' })],
      request,
      window,
    );
    assert.equal(result.found, false);
  });

  it('matches by symbol, side, quantity, price and time when tags are not echoed', () => {
    const result = matchOrder(
      [
        order({ orderId: 'old', placedAt: istText(NOW - 3_600_000) }),
        order({ orderId: 'sell', side: 'SELL' }),
        order({ orderId: 'qty', quantity: 6 }),
        order({ orderId: 'price', price: 1501 }),
        order({ orderId: 'ours', tag: 'None' }),
      ],
      request,
      window,
    );
    assert.deepEqual(result.found && [result.order.orderId, result.by], [
      'ours',
      'fields',
    ]);
  });

  it('refuses to choose between look-alikes or claimed orders', () => {
    const twins = matchOrder(
      [order({ orderId: 'a' }), order({ orderId: 'b' })],
      request,
      window,
    );
    assert.equal(twins.found, false);
    assert.match(!twins.found ? twins.detail : '', /2 orders/);

    const claimed = matchOrder(
      [order({ orderId: 'a' }), order({ orderId: 'b' })],
      request,
      {
        ...window,
        exclude: new Set(['a']),
      },
    );
    assert.deepEqual(claimed.found && claimed.order.orderId, 'b');
  });

  it('does not claim an order whose time it cannot read', () => {
    const result = matchOrder(
      [order({ orderId: 'x', placedAt: null })],
      request,
      window,
    );
    assert.equal(result.found, false);
    assert.match(!result.found ? result.detail : '', /Check \/orders/);
  });
});
