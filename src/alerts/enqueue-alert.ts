import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUE_NAMES, type AlertJobData } from '../queue/jobs.ts';

/**
 * The producer side of the alerts queue. An alert is a job so that it
 * survives a bot restart or a Telegram outage: it stays in Redis until it
 * is delivered or has used all its attempts.
 */

export const ALERT_JOB_NAME = 'alert';

/** With 3 s doubling, ten attempts span about 50 minutes. */
export const ALERT_ATTEMPTS = 10;
export const ALERT_BACKOFF_MS = 3_000;

/**
 * Completed alert jobs are kept a day: their ids are what stops a second
 * watcher, or a repeated tick, from alerting the same change twice.
 */
export const ALERT_KEEP_COMPLETED_S = 86_400;
export const ALERT_KEEP_FAILED_S = 7 * 86_400;

export function createAlertQueue(
  connection: Redis,
  prefix: string,
): Queue<AlertJobData> {
  return new Queue<AlertJobData>(QUEUE_NAMES.alerts, { connection, prefix });
}

export interface EnqueueAlertOptions {
  attempts?: number;
  /** First retry delay; doubles each attempt. */
  backoffMs?: number;
}

/**
 * Adds one alert. Re-adding an id that is still kept does nothing, so the
 * id must name the event (order, state, filled quantity), not the moment.
 * @returns the job id.
 */
export async function enqueueAlert(
  queue: Queue<AlertJobData>,
  data: AlertJobData,
  jobId: string,
  options: EnqueueAlertOptions = {},
): Promise<string> {
  await queue.add(ALERT_JOB_NAME, data, {
    jobId,
    attempts: options.attempts ?? ALERT_ATTEMPTS,
    backoff: {
      type: 'exponential',
      delay: options.backoffMs ?? ALERT_BACKOFF_MS,
    },
    removeOnComplete: { age: ALERT_KEEP_COMPLETED_S },
    removeOnFail: { age: ALERT_KEEP_FAILED_S },
  });
  return jobId;
}
