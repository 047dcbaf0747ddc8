import type { EventEmitter } from 'node:events';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../logger.ts';

/**
 * Redis connections for the queues. Two kinds, because the two sides want
 * opposite things when Redis goes away:
 *
 * - patient (workers, QueueEvents, processors): wait for Redis to come
 *   back and carry on. BullMQ's blocking commands need
 *   `maxRetriesPerRequest: null`; with ioredis' default of 20 a worker gives
 *   up during an outage and sits idle after Redis returns.
 * - impatient (the bot enqueuing): fail at once, so the chat can answer
 *   "queue unavailable" instead of hanging on a command queued offline.
 *
 * Queue keys are namespaced with BullMQ's own `prefix` option, never with
 * ioredis' `keyPrefix` (BullMQ refuses a connection that has one).
 */

/** Longest pause between two reconnect attempts. */
export const MAX_RECONNECT_DELAY_MS = 5_000;

/** Redis errors repeat every reconnect attempt; one log line per this. */
export const ERROR_LOG_INTERVAL_MS = 30_000;

/** Exponential from 100 ms, capped so recovery is noticed within seconds. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(100 * 2 ** Math.max(0, attempt - 1), MAX_RECONNECT_DELAY_MS);
}

export interface ConnectionOptions {
  logger: Logger;
  /**
   * Do not connect: a template BullMQ duplicates for its blocking
   * connections (they connect when BullMQ starts them).
   */
  lazy?: boolean;
  /** Names the connection in logs and in Redis' CLIENT LIST. */
  name: string;
  /** Minimum time between two logged errors; default 30 s. */
  errorLogIntervalMs?: number;
  now?: () => number;
}

/** For Workers, QueueEvents and the processors' own reads and writes. */
export function createPatientConnection(
  redisUrl: string,
  options: ConnectionOptions,
): Redis {
  return open(redisUrl, options, {
    maxRetriesPerRequest: null,
    // BullMQ waits for `ready` itself; the INFO probe only delays recovery.
    enableReadyCheck: false,
  });
}

/**
 * For the producer side: commands fail at once while Redis is away instead
 * of waiting in ioredis' offline queue.
 */
export function createImpatientConnection(
  redisUrl: string,
  options: ConnectionOptions,
): Redis {
  return open(redisUrl, options, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
  });
}

function open(
  redisUrl: string,
  options: ConnectionOptions,
  extra: RedisOptions,
): Redis {
  const redis = new Redis(redisUrl, {
    connectionName: options.name,
    retryStrategy: reconnectDelayMs,
    lazyConnect: options.lazy ?? false,
    ...extra,
  });
  logConnectionErrors(redis, options);
  return redis;
}

/**
 * Every connection needs an `error` listener (else ioredis prints
 * "Unhandled error event" on each attempt), but an outage produces one
 * error per reconnect: log the first, count the rest, and say how many
 * were skipped on the next line or when the connection is back.
 */
export function logConnectionErrors(
  redis: Pick<EventEmitter, 'on'>,
  options: ConnectionOptions,
): void {
  const now = options.now ?? Date.now;
  const interval = options.errorLogIntervalMs ?? ERROR_LOG_INTERVAL_MS;
  const log = options.logger.child({ redis_connection: options.name });
  let lastLoggedAt = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  let failing = false;

  redis.on('error', (err: Error) => {
    failing = true;
    if (now() - lastLoggedAt < interval) {
      suppressed += 1;
      return;
    }
    lastLoggedAt = now();
    log.warn({ err: err.message, suppressed }, 'redis connection error');
    suppressed = 0;
  });
  redis.on('ready', () => {
    if (!failing) return;
    failing = false;
    log.info({ suppressed }, 'redis connection restored');
    suppressed = 0;
    lastLoggedAt = Number.NEGATIVE_INFINITY;
  });
}

/**
 * Resolves true once the connection is ready, false after `timeoutMs`.
 * Never rejects and leaves no listener behind.
 */
export function waitForReady(
  redis: Redis,
  timeoutMs: number,
): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    redis.once('ready', onReady);
  });
}

/**
 * Ends a connection we own: QUIT when it is up (lets pending replies
 * arrive), a plain disconnect otherwise (QUIT would wait for a Redis that
 * is not there).
 */
export async function closeConnection(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status === 'ready') {
    try {
      await redis.quit();
      return;
    } catch {
      // Fall through: the socket died while quitting.
    }
  }
  redis.disconnect();
}
