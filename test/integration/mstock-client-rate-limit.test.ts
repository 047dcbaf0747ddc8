import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { BrokerError } from '../../src/mstock/errors.ts';
import { RateLimiter } from '../../src/mstock/rate-limiter.ts';
import { NO_RATE_LIMITS, ok, startClientRig } from '../support/fake-broker.ts';
import { connectRedis, deleteKeys, uniquePrefix } from '../support/redis.ts';

/**
 * The most events inside any window of `windowMs`, less a margin for the
 * time between a grant and the request's arrival.
 */
function busiestWindow(times: number[], windowMs: number, marginMs: number) {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (const [i, start] of sorted.entries()) {
    const inWindow = sorted
      .slice(i)
      .filter((t) => t < start + windowMs - marginMs).length;
    most = Math.max(most, inWindow);
  }
  return most;
}

describe('rate limiter shared through Redis (FR-10)', () => {
  let redis: Redis;
  let prefix: string;

  before(() => {
    redis = connectRedis();
    prefix = uniquePrefix('ratelimit');
  });

  after(async () => {
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('two limiters together keep every window', async () => {
    const windows = [
      { limit: 2, windowMs: 300 },
      { limit: 5, windowMs: 1000 },
    ];
    const a = new RateLimiter({ redis, prefix, limits: { data: windows } });
    const b = new RateLimiter({ redis, prefix, limits: { data: windows } });
    const granted: number[] = [];
    await Promise.all(
      Array.from({ length: 7 }, async (_, i) => {
        await (i % 2 === 0 ? a : b).acquire('data');
        granted.push(Date.now());
      }),
    );
    assert.equal(granted.length, 7);
    assert.ok(busiestWindow(granted, 300, 50) <= 2);
    assert.ok(busiestWindow(granted, 1000, 50) <= 5);
  });

  it('categories do not share a budget', async () => {
    const limiter = new RateLimiter({
      redis,
      prefix,
      limits: {
        quote: [{ limit: 1, windowMs: 60_000 }],
        order: [{ limit: 1, windowMs: 60_000 }],
      },
      maxWaitMs: 100,
    });
    await limiter.acquire('quote');
    await limiter.acquire('order');
    await assert.rejects(limiter.acquire('quote'), (err) => {
      assert.ok(err instanceof BrokerError);
      assert.equal(err.kind, 'rate-limited');
      assert.ok((err.retryAfterMs ?? 0) > 59_000);
      return true;
    });
  });

  it('a background read never waits while another read holds the slot', async () => {
    const limiter = new RateLimiter({
      redis,
      prefix: `${prefix}-bg`,
      limits: { data: [{ limit: 1, windowMs: 60_000 }] },
    });
    await limiter.acquire('data');
    const started = Date.now();
    await assert.rejects(
      limiter.acquire('data', { maxWaitMs: 0 }),
      (err) => err instanceof BrokerError && err.kind === 'rate-limited',
    );
    // Failing at once is the point: a minute's wait would mean queuing.
    assert.ok(Date.now() - started < 1000);
  });

  it('two clients sharing Redis stay under the quote limit at the broker', async () => {
    const limits = { ...NO_RATE_LIMITS, quote: [{ limit: 3, windowMs: 400 }] };
    const rig = await startClientRig({ client: { rateLimits: limits } });
    try {
      rig.broker.handle('GET instruments/quote/ohlc', ok({}));
      const other = rig.twin({ rateLimits: limits });
      const ask = (i: number) =>
        (i % 2 === 0 ? rig.client : other).quotes([
          { exchange: 'NSE', symbol: `S${i}` },
        ]);
      await Promise.all(Array.from({ length: 12 }, (_, i) => ask(i)));

      const arrivals = rig.broker
        .calls('GET instruments/quote/ohlc')
        .map((e) => e.at);
      assert.equal(arrivals.length, 12);
      assert.ok(busiestWindow(arrivals, 400, 100) <= 3);
      // The limit was reached, so the test is not met trivially.
      assert.ok(busiestWindow(arrivals, 400, 100) >= 2);
    } finally {
      await rig.close();
    }
  });
});
