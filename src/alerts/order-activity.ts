import type { Redis } from 'ioredis';
import { stateKeys } from '../queue/keys.ts';

/**
 * What the order processors tell the fill watcher: "orders may be moving,
 * read the book" and "this order id is one we placed". The watcher reads
 * the order book on every tick while the first holds or the last snapshot
 * still has an open order, and only at a slow pace otherwise, so an idle
 * account costs few broker calls.
 */

/** How long after a place, cancel or panic the watcher keeps polling. */
export const ACTIVITY_WINDOW_MS = 10 * 60_000;

/**
 * An order first seen already closed (filled, rejected) is alerted only
 * when we placed it within this window (a rejection right after placement);
 * older unseen orders are just recorded.
 */
export const OURS_WINDOW_MS = 30 * 60_000;

export async function markOrderActivity(
  redis: Redis,
  prefix: string,
  activity: { now: number; orderId?: string | undefined },
): Promise<void> {
  const keys = stateKeys(prefix);
  const batch = redis
    .multi()
    .set(keys.watchActivity, String(activity.now), 'PX', ACTIVITY_WINDOW_MS);
  if (activity.orderId !== undefined) {
    batch
      .zadd(keys.watchOurs, activity.now, activity.orderId)
      .zremrangebyscore(keys.watchOurs, '-inf', activity.now - OURS_WINDOW_MS)
      .pexpire(keys.watchOurs, OURS_WINDOW_MS);
  }
  await batch.exec();
}

export async function hasRecentActivity(
  redis: Redis,
  prefix: string,
): Promise<boolean> {
  return (await redis.exists(stateKeys(prefix).watchActivity)) === 1;
}

/** Order ids we placed within {@link OURS_WINDOW_MS} of `now`. */
export async function recentOwnOrders(
  redis: Redis,
  prefix: string,
  now: number,
): Promise<Set<string>> {
  const ids = await redis.zrangebyscore(
    stateKeys(prefix).watchOurs,
    now - OURS_WINDOW_MS,
    '+inf',
  );
  return new Set(ids);
}
