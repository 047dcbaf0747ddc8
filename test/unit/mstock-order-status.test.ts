import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPartialFill, toOrderState } from '../../src/mstock/order-status.ts';

describe('toOrderState', () => {
  const table: [string, string][] = [
    ['Pending', 'open'],
    ['O-Pending', 'open'],
    ['O-Modified', 'open'],
    ['Triggered', 'open'],
    ['TRIGGER PENDING', 'open'],
    ['SL trigger pending', 'open'],
    ['Traded', 'filled'],
    ['COMPLETE', 'filled'],
    ['Cancelled', 'cancelled'],
    ['O-Cancelled', 'cancelled'],
    ['Rejected', 'rejected'],
    ['  rejected ', 'rejected'],
    ['Frozen', 'unknown'],
    ['', 'unknown'],
  ];
  for (const [status, state] of table) {
    it(`"${status}" → ${state}`, () => {
      assert.equal(toOrderState(status), state);
    });
  }
});

describe('isPartialFill', () => {
  it('is an open order with some but not all filled', () => {
    const q = 10;
    assert.equal(
      isPartialFill({ state: 'open', filledQuantity: 4, quantity: q }),
      true,
    );
    assert.equal(
      isPartialFill({ state: 'open', filledQuantity: 0, quantity: q }),
      false,
    );
    assert.equal(
      isPartialFill({ state: 'open', filledQuantity: 10, quantity: q }),
      false,
    );
    // Cancelled after a partial fill is not "partial" any more.
    assert.equal(
      isPartialFill({ state: 'cancelled', filledQuantity: 4, quantity: q }),
      false,
    );
  });
});
