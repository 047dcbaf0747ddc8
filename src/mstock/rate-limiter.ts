import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { BrokerError } from './errors.ts';
import { markNeverSent } from './http.ts';

/**
 * One limiter for every worker process, kept in Redis so that two
 * machines together stay under mStock's published limits. Each category
 * is a sliding log (a sorted set of request times); one Lua script checks
 * every window of the category and records the request atomically, using
 * Redis's clock so that hosts with different clocks agree.
 */

export type RateCategory = 'order' | 'quote' | 'data' | 'auth';

export interface RateWindow {
  limit: number;
  windowMs: number;
}

export type RateLimits = Record<RateCategory, RateWindow[]>;

/**
 * mStock's published limits (per second / minute / hour). Login calls
 * have no published limit; they are held to 1/s like data.
 */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  order: [
    { limit: 30, windowMs: 1_000 },
    { limit: 250, windowMs: 60_000 },
    { limit: 1000, windowMs: 3_600_000 },
  ],
  quote: [{ limit: 20, windowMs: 1_000 }],
  data: [
    { limit: 1, windowMs: 1_000 },
    { limit: 1000, windowMs: 60_000 },
    { limit: 5000, windowMs: 3_600_000 },
  ],
  auth: [{ limit: 1, windowMs: 1_000 }],
};

/**
 * KEYS[1] the category's log; ARGV[1] a unique member, then pairs of
 * (limit, windowMs). Returns 0 when the request was recorded, else the
 * milliseconds until the oldest blocking entry leaves its window.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local longest = 0
for i = 2, #ARGV, 2 do
  local w = tonumber(ARGV[i + 1])
  if w > longest then longest = w end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
local wait = 0
for i = 2, #ARGV, 2 do
  local limit = tonumber(ARGV[i])
  local w = tonumber(ARGV[i + 1])
  local from = '(' .. (now - w)
  local count = redis.call('ZCOUNT', KEYS[1], from, '+inf')
  if count >= limit then
    local oldest = redis.call('ZRANGEBYSCORE', KEYS[1], from, '+inf',
      'WITHSCORES', 'LIMIT', count - limit, 1)
    local until_free = tonumber(oldest[2]) + w - now + 1
    if until_free > wait then wait = until_free end
  end
end
if wait > 0 then return wait end
redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[1])
redis.call('PEXPIRE', KEYS[1], longest)
return 0
`;

export interface RateLimiterOptions {
  redis: Redis;
  prefix: string;
  limits?: Partial<RateLimits>;
  /** Real timers by default; the wait is Redis time, not the test clock. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Longest a caller waits for its turn (default 15 s); beyond it the call
   * fails as 'rate-limited' instead of holding a job for up to an hour.
   */
  maxWaitMs?: number;
}

export class RateLimiter {
  private readonly limits: RateLimits;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: RateLimiterOptions) {
    this.limits = { ...DEFAULT_RATE_LIMITS, ...options.limits };
    this.sleep =
      options.sleep ??
      ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * Resolves once a request of this category may be sent, having counted
   * it. Sleeps for the time the script names (plus a little jitter so
   * waiting workers do not all retry on the same millisecond).
   */
  async acquire(
    category: RateCategory,
    options: { maxWaitMs?: number } = {},
  ): Promise<void> {
    const windows = this.limits[category];
    if (windows.length === 0) return;
    const args = windows.flatMap((w) => [String(w.limit), String(w.windowMs)]);
    const key = `${this.options.prefix}:ratelimit:${category}`;
    let budget = options.maxWaitMs ?? this.options.maxWaitMs ?? 15_000;
    for (;;) {
      const wait = (await this.options.redis.eval(
        ACQUIRE,
        1,
        key,
        randomUUID(),
        ...args,
      )) as number;
      if (wait <= 0) return;
      if (wait > budget) {
        throw markNeverSent(
          new BrokerError(
            'rate-limited',
            'Too many mStock calls right now; try again in a minute.',
            { retryAfterMs: wait },
          ),
        );
      }
      const pause = wait + Math.floor(Math.random() * 5);
      budget -= pause;
      await this.sleep(pause);
    }
  }
}
