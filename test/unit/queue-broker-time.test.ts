import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBrokerTime } from '../../src/queue/broker-time.ts';

// 2024-09-30 15:45:46 IST is 10:15:46 UTC.
const SEPT_30 = Date.UTC(2024, 8, 30, 10, 15, 46);

describe('parseBrokerTime', () => {
  it('reads day-first and year-first texts as IST', () => {
    assert.equal(parseBrokerTime('30-09-2024 15:45:46', 0), SEPT_30);
    assert.equal(parseBrokerTime('2024-09-30 15:45:46', 0), SEPT_30);
  });

  it('reads 12-hour texts', () => {
    assert.equal(
      parseBrokerTime('23-01-2025 02:55:55 PM', 0),
      Date.UTC(2025, 0, 23, 9, 25, 55),
    );
    assert.equal(
      parseBrokerTime('23-01-2025 12:10:00 AM', 0),
      Date.UTC(2025, 0, 22, 18, 40, 0),
    );
  });

  it('puts a time-only text on the IST date of now', () => {
    // 2024-09-30 23:00 IST = 17:30 UTC; "14:48:23" is that same IST day.
    const now = Date.UTC(2024, 8, 30, 17, 30);
    assert.equal(
      parseBrokerTime('14:48:23', now),
      Date.UTC(2024, 8, 30, 9, 18, 23),
    );
  });

  it('honours a stated offset', () => {
    assert.equal(
      parseBrokerTime('2024-01-01T09:15:00+05', 0),
      Date.UTC(2024, 0, 1, 4, 15, 0),
    );
  });

  it('answers null for what is not a time', () => {
    for (const text of [
      null,
      undefined,
      '',
      'None',
      '32-13-2024 10:00:00',
      '25:00',
    ]) {
      assert.equal(parseBrokerTime(text, 0), null, String(text));
    }
  });
});
