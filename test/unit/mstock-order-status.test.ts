import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toOrderState } from '../../src/mstock/order-status.ts';

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
