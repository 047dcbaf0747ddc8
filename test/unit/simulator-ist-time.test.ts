import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatDmy12h,
  formatDmyTime,
  formatIstClock,
  formatIstDate,
  formatYmdTime,
  formatYymmdd,
  isMarketOpen,
  nextIstMidnight,
} from '../../src/simulator/ist-time.ts';

/** Epoch ms of an IST wall-clock time (IST = UTC+05:30). */
function ist(y: number, mo: number, d: number, h: number, mi = 0, s = 0) {
  return Date.UTC(y, mo - 1, d, h, mi, s) - (5 * 60 + 30) * 60 * 1000;
}

describe('simulator IST clock', () => {
  it('formats the broker timestamp styles in IST', () => {
    const t = ist(2024, 9, 30, 15, 45, 46);
    assert.equal(formatDmyTime(t), '30-09-2024 15:45:46');
    assert.equal(formatYmdTime(t), '2024-09-30 15:45:46');
    assert.equal(formatIstClock(t), '15:45:46');
    assert.equal(formatIstDate(t), '2024-09-30');
    assert.equal(formatYymmdd(t), '240930');
  });

  it('writes 12-hour details timestamps with AM/PM, 12 for noon and midnight', () => {
    assert.equal(
      formatDmy12h(ist(2025, 1, 23, 14, 55, 55)),
      '23-01-2025 02:55:55 PM',
    );
    assert.equal(
      formatDmy12h(ist(2025, 1, 23, 0, 5)),
      '23-01-2025 12:05:00 AM',
    );
    assert.equal(
      formatDmy12h(ist(2025, 1, 23, 12, 0)),
      '23-01-2025 12:00:00 PM',
    );
    assert.equal(
      formatDmy12h(ist(2025, 1, 23, 9, 7, 3)),
      '23-01-2025 09:07:03 AM',
    );
  });

  it('finds the next IST midnight, strictly after the given time', () => {
    assert.equal(
      nextIstMidnight(ist(2025, 2, 6, 23, 59, 59)),
      ist(2025, 2, 7, 0, 0),
    );
    assert.equal(nextIstMidnight(ist(2025, 2, 7, 0, 0)), ist(2025, 2, 8, 0, 0));
    // 03:00 IST is still the previous UTC day; the IST date decides.
    assert.equal(nextIstMidnight(ist(2025, 2, 7, 3, 0)), ist(2025, 2, 8, 0, 0));
  });

  it('opens the market 09:15-15:30 IST on weekdays only', () => {
    // 2025-02-06 is a Thursday, 2025-02-08 a Saturday.
    assert.equal(isMarketOpen(ist(2025, 2, 6, 9, 14, 59)), false);
    assert.equal(isMarketOpen(ist(2025, 2, 6, 9, 15)), true);
    assert.equal(isMarketOpen(ist(2025, 2, 6, 15, 29, 59)), true);
    assert.equal(isMarketOpen(ist(2025, 2, 6, 15, 30)), false);
    assert.equal(isMarketOpen(ist(2025, 2, 8, 11, 0)), false);
    assert.equal(isMarketOpen(ist(2025, 2, 9, 11, 0)), false);
  });
});
