import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker, type Job } from 'bullmq';
import type { Logger } from '../logger.ts';
import { createAlertQueue } from '../alerts/enqueue-alert.ts';
import {
  createOrderWatcher,
  IDLE_POLL_MIN_MS,
  scheduleOrderWatch,
  WATCH_ORDERS_JOB,
} from '../alerts/watcher.ts';
import { BrokerError } from '../mstock/errors.ts';
import type { BrokerClient, SessionInfo } from '../mstock/types.ts';
import {
  createBrokerStatusReporter,
  type BrokerStatusListener,
  type BrokerStatusUpdate,
} from './broker-status.ts';
import type { ControlState } from './control-state.ts';
import { createIntentStore } from './intent-store.ts';
import { ChatSafeError, toJobError } from './job-errors.ts';
import { jobDataSchemas, QUEUE_NAMES } from './jobs.ts';
import { cancelOrderJob } from './processors/cancel-order.ts';
import type { OrderProcessorDeps } from './processors/deps.ts';
import { panicJob } from './processors/panic.ts';
import { placeOrderJob } from './processors/place-order.ts';
import { isReadJob, runRead } from './processors/reads.ts';
import {
  closeConnection,
  createPatientConnection,
  logConnectionErrors,
} from './redis.ts';

/**
 * The worker process' side of the queues: one Worker for reads (and the
 * fill watcher's ticks), one for anything that changes the account.
 *
 * - `broker`: a few jobs at once; a stalled read simply runs again.
 * - `orders`: one job at a time, and `maxStalledCount: 0`: a job whose
 *   worker died or froze FAILS instead of running a second time (the
 *   gateway then tells the user the outcome is unknown).
 */

export interface StartBrokerWorkersOptions {
  redisUrl: string;
  prefix: string;
  client: BrokerClient;
  control: ControlState;
  logger: Logger;
  mode: 'paper' | 'live';
  /** Order-book poll interval of the fill watcher; ms. */
  orderPollMs: number;
  now?: () => number;
  /** Read jobs at once; default 4. Orders always run one at a time. */
  concurrency?: number;
  /** Also told of every status report, after it is stored. */
  onStatusTarget?: BrokerStatusListener;
  /** Schedule the fill watcher; default true. */
  watchOrders?: boolean;
  /** Lock timings; tests shrink them to provoke stalls. */
  timings?: {
    lockDurationMs?: number;
    stalledIntervalMs?: number;
    /** Graceful close waits this long for running jobs; default 15 s. */
    closeTimeoutMs?: number;
    /** How often this worker refreshes its broker view; default 10 s. */
    heartbeatMs?: number;
  };
}

export interface BrokerWorkers {
  /**
   * Records this worker's view of the broker and publishes the aggregate
   * of all workers' views (ControlState + transition alerts).
   */
  reportBrokerStatus(update: BrokerStatusUpdate): Promise<void>;
  /** The same, fire-and-forget, for a broker client's status hook. */
  onStatusTarget: BrokerStatusListener;
  /**
   * Stops taking jobs and waits (up to `closeTimeoutMs`) for running ones.
   * `force` drops running jobs at once, as a crash would: their locks
   * lapse, read jobs run again elsewhere, order jobs fail as stalled.
   */
  close(options?: { force?: boolean }): Promise<void>;
}

/** How often each worker re-reports its broker view; ms. */
const HEARTBEAT_MS = 10_000;

/** A session sample is re-published at least this often (for /status). */
const STATUS_REFRESH_MS = 60_000;

/** Broker errors that say something about the connection or session. */
const HEALTH_KINDS = new Set([
  'auth',
  'token',
  'unavailable',
  'rate-limited',
  'offline',
  'protocol',
]);

export async function startBrokerWorkers(
  options: StartBrokerWorkersOptions,
): Promise<BrokerWorkers> {
  const { prefix, client, control, mode } = options;
  const now = options.now ?? Date.now;
  const logger = options.logger.child({ part: 'broker-workers' });
  const timings = options.timings ?? {};

  const connection = createPatientConnection(options.redisUrl, {
    logger,
    name: 'broker-workers',
  });
  const alerts = createAlertQueue(connection, prefix);
  const brokerQueue = new Queue(QUEUE_NAMES.broker, { connection, prefix });
  // A Queue re-emits its connection's errors; without a listener BullMQ
  // prints each one's stack to stderr during a Redis outage.
  logConnectionErrors(alerts, { logger, name: 'worker-alerts-queue' });
  logConnectionErrors(brokerQueue, { logger, name: 'worker-broker-queue' });

  const heartbeatMs = timings.heartbeatMs ?? HEARTBEAT_MS;
  const reporter = createBrokerStatusReporter({
    redis: connection,
    prefix,
    control,
    alerts,
    mode,
    logger,
    now,
    workerId: randomUUID(),
    // Three missed heartbeats and this worker's view no longer counts.
    viewTtlMs: 3 * heartbeatMs,
  });
  const reportBrokerStatus = async (update: BrokerStatusUpdate) => {
    await reporter.report(update);
    options.onStatusTarget?.(update);
  };
  const onStatusTarget: BrokerStatusListener = (update) => {
    reportBrokerStatus(update).catch((err: unknown) =>
      logger.warn({ err }, 'broker status not published'),
    );
  };
  const sampler = createSessionSampler(client, reportBrokerStatus, now, logger);
  // Keeps this worker's view fresh while no job or client event reports.
  const heartbeat = setInterval(() => {
    let session: SessionInfo;
    try {
      session = client.session();
    } catch {
      return;
    }
    onStatusTarget(session);
  }, heartbeatMs);
  heartbeat.unref();

  const deps: OrderProcessorDeps = {
    client,
    control,
    redis: connection,
    prefix,
    intents: createIntentStore(connection, prefix),
    logger,
    now,
  };
  const watcher = createOrderWatcher({
    redis: connection,
    prefix,
    client,
    alerts,
    logger,
    mode,
    now,
    idlePollMs: Math.max(options.orderPollMs, IDLE_POLL_MIN_MS),
  });

  async function run<R>(
    job: Job,
    work: (log: Logger) => Promise<R>,
  ): Promise<R> {
    const log = logger.child({ job_id: job.id, job_name: job.name });
    try {
      const result = await work(log);
      await sampler.sample(null);
      return result;
    } catch (err) {
      await sampler.sample(err);
      throw toJobError(err, { id: job.id, name: job.name }, log);
    }
  }

  const lockOptions = {
    ...(timings.lockDurationMs !== undefined && {
      lockDuration: timings.lockDurationMs,
    }),
    ...(timings.stalledIntervalMs !== undefined && {
      stalledInterval: timings.stalledIntervalMs,
    }),
  };

  const brokerWorker = new Worker(
    QUEUE_NAMES.broker,
    (job) =>
      run(job, async () => {
        if (job.name === WATCH_ORDERS_JOB) return watcher.tick();
        if (!isReadJob(job.name)) throw unknownJob(job.name, 'broker');
        return runRead(client, job.name, job.data);
      }),
    {
      connection,
      prefix,
      concurrency: options.concurrency ?? 4,
      maxStalledCount: 1,
      ...lockOptions,
    },
  );

  const ordersWorker = new Worker(
    QUEUE_NAMES.orders,
    (job) =>
      run(job, async (log) => {
        const jobDeps = { ...deps, logger: log };
        switch (job.name) {
          case 'place-order':
            return placeOrderJob(
              jobDeps,
              jobDataSchemas['place-order'].parse(job.data),
              { id: job.id ?? null, enqueuedAt: job.timestamp },
            );
          case 'cancel-order':
            return cancelOrderJob(
              jobDeps,
              jobDataSchemas['cancel-order'].parse(job.data),
            );
          case 'panic':
            return panicJob(jobDeps, jobDataSchemas.panic.parse(job.data));
          default:
            throw unknownJob(job.name, 'orders');
        }
      }),
    {
      connection,
      prefix,
      // One account change at a time: a panic never interleaves with a
      // placement handled by this process.
      concurrency: 1,
      maxStalledCount: 0,
      ...lockOptions,
    },
  );

  for (const [name, worker] of [
    ['broker-worker', brokerWorker],
    ['orders-worker', ordersWorker],
  ] as const) {
    logConnectionErrors(worker, { logger, name });
    worker.on('failed', (job, err) => {
      if (job?.name === WATCH_ORDERS_JOB) return;
      logger.warn(
        { job_id: job?.id, job_name: job?.name, reason: err.message },
        'job failed',
      );
    });
    worker.on('stalled', (jobId) => {
      logger.error(
        { job_id: jobId, queue: worker.name },
        worker === ordersWorker
          ? 'order job stalled; failed for review, not re-run'
          : 'job stalled; it will run again',
      );
    });
  }

  if (options.watchOrders ?? true) {
    await scheduleOrderWatch(brokerQueue, options.orderPollMs);
  }
  await Promise.all([
    brokerWorker.waitUntilReady(),
    ordersWorker.waitUntilReady(),
  ]);
  logger.info({ mode }, 'broker workers started');

  return {
    reportBrokerStatus,
    onStatusTarget,
    async close(closeOptions = {}) {
      const timeout = timings.closeTimeoutMs ?? 15_000;
      const force = closeOptions.force ?? false;
      clearInterval(heartbeat);
      // A forced close stands for a crash: the view just goes stale.
      if (!force) {
        await reporter.retire().catch((err: unknown) => {
          logger.warn({ err }, 'broker view not withdrawn');
        });
      }
      await Promise.all([
        closeWorker(brokerWorker, { force, timeoutMs: timeout }, logger),
        closeWorker(ordersWorker, { force, timeoutMs: timeout }, logger),
      ]);
      await alerts.close();
      await brokerQueue.close();
      await closeConnection(connection);
    },
  };
}

function unknownJob(name: string, queue: string): ChatSafeError {
  return new ChatSafeError(`The ${queue} queue has no job called "${name}".`);
}

/**
 * Waits for running jobs, but not forever. BullMQ fixes a close as
 * graceful or forced at the first call, so a hung job cannot be forced
 * out later: past the timeout we stop waiting, and the job's lock lapses
 * like a crashed worker's (an order job then fails as stalled).
 */
async function closeWorker(
  worker: Worker,
  options: { force: boolean; timeoutMs: number },
  logger: Logger,
): Promise<void> {
  const closing = worker.close(options.force).then(
    () => true,
    (err: unknown) => {
      logger.warn({ err, queue: worker.name }, 'worker close failed');
      return true;
    },
  );
  const ended = await Promise.race([
    closing,
    sleep(options.timeoutMs, false, { ref: false }),
  ]);
  if (!ended) {
    logger.warn(
      { queue: worker.name },
      'worker did not stop in time; leaving its jobs to the stall check',
    );
  }
}

/**
 * Publishes the client's session after jobs, when it changed or is a
 * minute old, with the last connection-type error seen. A broken status
 * write never fails the job it follows.
 */
function createSessionSampler(
  client: BrokerClient,
  publish: (update: BrokerStatusUpdate) => Promise<void>,
  now: () => number,
  logger: Logger,
) {
  let lastKey = '';
  let lastAt = Number.NEGATIVE_INFINITY;
  return {
    async sample(err: unknown): Promise<void> {
      let session: SessionInfo;
      try {
        session = client.session();
      } catch {
        return;
      }
      const health =
        err instanceof BrokerError && HEALTH_KINDS.has(err.kind) ? err : null;
      const update: BrokerStatusUpdate = {
        ...session,
        ...(health !== null && { lastError: health.message }),
        ...(health?.kind === 'auth' && { loginFailed: true }),
      };
      const key = JSON.stringify(update);
      if (key === lastKey && now() - lastAt < STATUS_REFRESH_MS) return;
      try {
        await publish(update);
        lastKey = key;
        lastAt = now();
      } catch (publishErr) {
        logger.warn({ err: publishErr }, 'broker status not published');
      }
    },
  };
}
