import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BrokerError } from '../../src/mstock/errors.ts';
import { neverReachedBroker } from '../../src/mstock/http.ts';
import { OfflineDetector } from '../../src/mstock/offline.ts';
import { collectLogs } from '../support/fake-broker.ts';

const down = () => new BrokerError('unavailable', 'HTTP 502');

function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() > deadline) return reject(new Error('timed out'));
      setTimeout(tick, 5);
    };
    tick();
  });
}

describe('OfflineDetector', () => {
  it('goes offline after N consecutive failures, once', () => {
    const changes: boolean[] = [];
    const detector = new OfflineDetector({
      threshold: 3,
      probeIntervalMs: 60_000,
      probe: () => Promise.resolve(),
      onChange: (online) => changes.push(online),
      logger: collectLogs().logger,
    });
    detector.recordFailure(down());
    detector.recordFailure(down());
    assert.equal(detector.online, true);
    detector.recordFailure(down());
    detector.recordFailure(down());
    assert.equal(detector.online, false);
    assert.deepEqual(changes, [false]);
    assert.throws(
      () => detector.check('GET orders'),
      (err) =>
        err instanceof BrokerError &&
        err.kind === 'offline' &&
        neverReachedBroker(err),
    );
    detector.close();
  });

  it('an answer in between resets the count', () => {
    const detector = new OfflineDetector({
      threshold: 2,
      probe: () => Promise.resolve(),
      onChange: () => undefined,
      logger: collectLogs().logger,
    });
    detector.recordFailure(down());
    detector.recordFailure(new BrokerError('input', 'bad symbol'));
    detector.recordFailure(down());
    assert.equal(detector.online, true);
    detector.close();
  });

  it('probes until the broker answers, then goes online once', async () => {
    const changes: boolean[] = [];
    let probes = 0;
    const detector: OfflineDetector = new OfflineDetector({
      threshold: 1,
      probeIntervalMs: 10,
      probe: () => {
        probes += 1;
        if (probes < 3) {
          detector.recordFailure(down());
          return Promise.reject(down());
        }
        detector.recordAnswer();
        return Promise.resolve();
      },
      onChange: (online) => changes.push(online),
      logger: collectLogs().logger,
    });
    detector.recordFailure(down());
    await until(() => detector.online);
    assert.equal(probes, 3);
    assert.deepEqual(changes, [false, true]);
    // No probe runs while online.
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(probes, 3);
    detector.close();
  });
});
