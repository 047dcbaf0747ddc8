import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import { BrokerError } from '../mstock/errors.ts';
import { releaseLock, tryLock } from '../mstock/redis-lock.ts';
import type { BrokerClient, BrokerList, Order } from '../mstock/types.ts';
import { createIntentStore } from '../queue/intent-store.ts';
import type { AlertJobData } from '../queue/jobs.ts';
import { stateKeys } from '../queue/keys.ts';
import { enqueueAlert } from './enqueue-alert.ts';
import {
  decodeEntry,
  diffOrders,
  encodeEntry,
  type OrderChange,
  type SnapshotEntry,
} from './order-diff.ts';
import { hasRecentActivity, recentOwnOrders } from './order-activity.ts';

/**
 * Fill detection by polling the order book. A BullMQ job scheduler puts a
 * `watch-orders` job on the broker queue every ORDER_POLL_MS; the broker
 * worker runs {@link OrderWatcher.tick}. The book is read on every tick
 * while orders may be moving (an order open in the last look, or a recent
 * place, cancel or panic), and every `idlePollMs` otherwise, so orders the
 * automated strategy places outside this bot are found too. Several
 * workers may tick at once: every alert's job id names its event, so each
 * change is alerted once.
 */

// TODO(alerts): the broker's WebSocket order updates would alert within
// a second without polling; poll only as the fallback once the client
// exposes those events.

/** Job name of a watcher tick on the broker queue (not a gateway call). */
export const WATCH_ORDERS_JOB = 'watch-orders';

/** Scheduler id: one per deployment, whatever the number of workers. */
const SCHEDULER_ID = 'watch-orders';

/** The idle pace never runs faster than this; ms. */
export const IDLE_POLL_MIN_MS = 15_000;

/**
 * A first-seen closed order placed up to this long before the previous
 * look is still news: the broker's clock and ours differ, its times are
 * whole seconds, and a new order may reach its book late.
 */
const BROKER_TIME_SLACK_MS = 2 * 60_000;

/**
 * Ticks do not overlap: a slow book read (the broker's data limit is one
 * call a second) would otherwise let an older look overwrite a newer
 * snapshot. The lock outlives any sane tick and is released at its end.
 */
const TICK_LOCK_MS = 30_000;

export interface OrderWatcherOptions {
  /** A patient connection (waits out a Redis blip). */
  redis: Redis;
  prefix: string;
  client: BrokerClient;
  alerts: Queue<AlertJobData>;
  logger: Logger;
  mode: 'paper' | 'live';
  now?: () => number;
  /**
   * While no order may be moving, the book is read at most this often;
   * default {@link IDLE_POLL_MIN_MS}.
   */
  idlePollMs?: number;
}

export interface TickResult {
  /** False when the tick decided not to read the book. */
  polled: boolean;
  reason?: 'offline' | 'idle' | 'busy' | 'book-unreadable';
  /** Changes found (each enqueued, possibly as an already-kept id). */
  changes: OrderChange[];
}

export interface OrderWatcher {
  tick(): Promise<TickResult>;
}

export function createOrderWatcher(options: OrderWatcherOptions): OrderWatcher {
  const { redis, prefix, client, alerts, mode } = options;
  const now = options.now ?? Date.now;
  const idlePollMs = options.idlePollMs ?? IDLE_POLL_MIN_MS;
  const logger = options.logger.child({ part: 'order-watcher' });
  const keys = stateKeys(prefix);
  const intents = createIntentStore(redis, prefix);

  async function loadSnapshot(): Promise<Map<string, SnapshotEntry>> {
    const raw = await redis.hgetall(keys.watchSnapshot);
    const snapshot = new Map<string, SnapshotEntry>();
    for (const [orderId, text] of Object.entries(raw)) {
      const entry = decodeEntry(text);
      if (entry !== null) snapshot.set(orderId, entry);
    }
    return snapshot;
  }

  async function readBook(): Promise<BrokerList<Order> | null> {
    try {
      return await client.orders({ background: true });
    } catch (err) {
      if (err instanceof BrokerError && err.kind === 'rate-limited') {
        // Users' own reads hold the data budget; poll on the next tick.
        logger.debug('order book poll skipped: data budget in use');
        return null;
      }
      // The next tick tries again; the snapshot is untouched meanwhile.
      const reason = err instanceof BrokerError ? err.kind : 'internal';
      logger.warn(
        { err: err instanceof BrokerError ? err.message : err, reason },
        'order book read failed',
      );
      return null;
    }
  }

  async function store(
    updates: Map<string, SnapshotEntry>,
    gone: string[],
  ): Promise<void> {
    if (updates.size === 0 && gone.length === 0) return;
    const batch = redis.multi();
    if (updates.size > 0) {
      const fields: Record<string, string> = {};
      for (const [orderId, entry] of updates) {
        fields[orderId] = encodeEntry(entry);
      }
      batch.hset(keys.watchSnapshot, fields);
    }
    // Orders leave the book at the day's end; forget them with it.
    if (gone.length > 0) batch.hdel(keys.watchSnapshot, ...gone);
    await batch.exec();
  }

  async function withTickLock(
    work: () => Promise<TickResult>,
  ): Promise<TickResult> {
    const token = await tryLock(redis, keys.watchLock, TICK_LOCK_MS);
    if (token === null) return { polled: false, reason: 'busy', changes: [] };
    try {
      return await work();
    } finally {
      await releaseLock(redis, keys.watchLock, token);
    }
  }

  /** Epoch ms when the last successful poll began; null before any. */
  async function lastPollAt(): Promise<number | null> {
    const raw = await redis.get(keys.watchLastPoll);
    const at = raw === null ? NaN : Number(raw);
    return Number.isFinite(at) ? at : null;
  }

  async function tick(): Promise<TickResult> {
    const snapshot = await loadSnapshot();
    const lastPoll = await lastPollAt();
    const anyOpen = [...snapshot.values()].some((e) => e.state === 'open');
    const moving = anyOpen || (await hasRecentActivity(redis, prefix));
    if (!moving && lastPoll !== null && now() - lastPoll < idlePollMs) {
      return { polled: false, reason: 'idle', changes: [] };
    }

    const pollAt = now();
    const orders = await readBook();
    if (orders === null) {
      return { polled: false, reason: 'book-unreadable', changes: [] };
    }

    const at = now();
    const [ownRecent, placing] = await Promise.all([
      recentOwnOrders(redis, prefix, at),
      intents.placingCount(),
    ]);
    const diff = diffOrders(snapshot, orders, {
      ownRecent,
      placing: placing > 0,
      ...(lastPoll !== null && {
        othersSince: { at: lastPoll - BROKER_TIME_SLACK_MS, now: at },
      }),
    });

    // Alerts first, snapshot second: a crash in between repeats the
    // same alert ids next tick, which the queue ignores.
    for (const change of diff.changes) {
      await enqueueAlert(
        alerts,
        {
          event: {
            kind: 'order',
            change: change.change,
            order: change.order,
            previousFilled: change.previousFilled,
          },
          mode,
          at,
        },
        change.jobId,
      );
      logger.info(
        {
          order_id: change.order.orderId,
          change: change.change,
          filled: change.order.filledQuantity,
          job_id: change.jobId,
        },
        'order change alerted',
      );
    }
    // A row the broker sent but we could not read is not a gone order.
    const gone = orders.unreadableRows === undefined ? diff.gone : [];
    await store(diff.updates, gone);
    await redis.set(keys.watchLastPoll, String(pollAt));
    return { polled: true, changes: diff.changes };
  }

  return {
    async tick() {
      if (!client.session().online) {
        return { polled: false, reason: 'offline', changes: [] };
      }
      return withTickLock(tick);
    },
  };
}

/**
 * Creates or updates the deployment's one tick scheduler. Safe to call
 * from every worker process at start: the id makes it an upsert.
 */
export async function scheduleOrderWatch(
  brokerQueue: Queue,
  everyMs: number,
): Promise<void> {
  await brokerQueue.upsertJobScheduler(
    SCHEDULER_ID,
    { every: everyMs },
    {
      name: WATCH_ORDERS_JOB,
      data: {},
      opts: { removeOnComplete: true, removeOnFail: { count: 20 } },
    },
  );
}
