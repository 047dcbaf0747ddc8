import { setTimeout as sleep } from 'node:timers/promises';
import { Worker, type Job } from 'bullmq';
import type { Logger } from '../logger.ts';
import {
  QUEUE_NAMES,
  type AlertJobData,
  type DeliverAlert,
} from '../queue/jobs.ts';
import {
  closeConnection,
  createPatientConnection,
  logConnectionErrors,
} from '../queue/redis.ts';

/**
 * Delivers alert jobs to the chats. A job remembers, in its own data,
 * which chats already have the alert, so a retry (after flood control or
 * a network error on one chat) never sends twice to the others.
 * Retries and their backoff are set where the job is added
 * (enqueue-alert.ts); an alert waits in Redis across restarts until it is
 * delivered or out of attempts.
 */

const READY_WAIT_MS = 2_000;

/** The stored job: the alert plus delivery progress across attempts. */
export interface StoredAlert extends AlertJobData {
  deliveredTo?: number[];
  droppedFor?: number[];
}

export interface AlertConsumerOptions {
  redisUrl: string;
  prefix: string;
  logger: Logger;
  deliver: DeliverAlert;
  /** Alerts in flight at once; Telegram's limits are the deliverer's. */
  concurrency?: number;
}

/** Thrown so BullMQ retries the job later, for the chats still missing. */
export class AlertRetryError extends Error {
  override name = 'AlertRetryError';
  constructor(readonly chats: number[]) {
    super(
      `Alert not yet delivered to ${chats.length} chat(s); it will be retried.`,
    );
  }
}

export async function startAlertConsumer(
  options: AlertConsumerOptions,
): Promise<{ close(): Promise<void> }> {
  const logger = options.logger.child({ part: 'alert-consumer' });
  const connection = createPatientConnection(options.redisUrl, {
    logger,
    name: 'alerts-consumer',
  });

  const worker = new Worker<StoredAlert>(
    QUEUE_NAMES.alerts,
    (job) => deliverOnce(job, options.deliver, logger),
    {
      connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 2,
    },
  );
  // Errors of BullMQ's own duplicate (blocking) connection surface here.
  logConnectionErrors(worker, { logger, name: 'alerts-worker' });
  worker.on('failed', (job, err) => {
    const exhausted =
      job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1);
    logger[exhausted ? 'error' : 'warn'](
      { job_id: job?.id, attempt: job?.attemptsMade, err: err.message },
      exhausted ? 'alert given up' : 'alert delivery incomplete',
    );
  });

  // Ready at once when Redis is up; if it is not, the worker starts
  // consuming when it comes back, and the bot does not wait for that.
  await Promise.race([
    worker.waitUntilReady().catch(() => undefined),
    sleep(READY_WAIT_MS, undefined, { ref: false }),
  ]);

  return {
    async close() {
      await worker.close();
      await closeConnection(connection);
    },
  };
}

async function deliverOnce(
  job: Job<StoredAlert>,
  deliver: DeliverAlert,
  logger: Logger,
): Promise<{ delivered: number; dropped: number }> {
  const { deliveredTo = [], droppedFor = [], ...alert } = job.data;
  const skip = [...new Set([...deliveredTo, ...droppedFor])];

  const report = await deliver(alert, skip);

  const delivered = union(deliveredTo, report.delivered);
  const dropped = union(droppedFor, report.dropped);
  if (
    delivered.length !== deliveredTo.length ||
    dropped.length !== droppedFor.length
  ) {
    // Saved before throwing, so the next attempt skips these chats.
    await job.updateData({
      ...job.data,
      deliveredTo: delivered,
      droppedFor: dropped,
    });
  }
  if (report.dropped.length > 0) {
    logger.warn(
      { job_id: job.id, chats: report.dropped },
      'alert dropped for chats that cannot receive it',
    );
  }
  if (report.retry.length > 0) throw new AlertRetryError(report.retry);
  return { delivered: delivered.length, dropped: dropped.length };
}

function union(a: number[], b: number[]): number[] {
  return [...new Set([...a, ...b])];
}
