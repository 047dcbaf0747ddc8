import { Queue, QueueEvents, type Job } from 'bullmq';
import type { Logger } from '../logger.ts';
import { describeIssues } from '../mstock/schemas.ts';
import {
  jobDataSchemas,
  QUEUE_NAMES,
  queueFor,
  type BrokerGateway,
  type BrokerJobName,
  type CallOutcome,
  type JobResult,
  type QueueDepth,
} from './jobs.ts';
import {
  closeConnection,
  createImpatientConnection,
  createPatientConnection,
  logConnectionErrors,
  waitForReady,
} from './redis.ts';

/**
 * The bot's side of the queues: add a job, wait for its outcome up to a
 * deadline, and turn every ending (done, failed, still running, Redis
 * away) into a {@link CallOutcome} the chat can show. Never throws from
 * `call`; never hangs on a Redis that is down.
 */

export const QUEUE_DOWN_MESSAGE =
  'The job queue is not reachable; nothing was sent to the broker.';
export const QUEUE_UNSURE_MESSAGE =
  'The job queue stopped answering while taking the request; it may still run. Check /orders before trying again.';
export const NO_ANSWER_MESSAGE =
  'No answer from the worker; the job may still run. Check /orders before trying again.';
export const ORDER_STALLED_MESSAGE =
  'The worker stopped while running this order job, so its outcome is unknown. Check /orders before trying again.';
export const READ_STALLED_MESSAGE =
  'The worker stopped while running this request; please try again.';

/** How long to wait for Redis before answering "not reachable". */
const READY_WAIT_MS = 1_000;
/** A `pending` job is followed this long, then reported as unanswered. */
const SETTLE_CAP_MS = 10 * 60_000;
const DEFAULT_DEADLINE_MS = 8_000;
const CLOSE_WAIT_MS = 2_000;

/**
 * BullMQ priorities on the orders queue, lower first: /panic runs before
 * every place and cancel job waiting, which keep their own order among
 * themselves (one priority: first in, first out).
 */
const JOB_PRIORITY: Partial<Record<BrokerJobName, number>> = {
  panic: 1,
  'place-order': 10,
  'cancel-order': 10,
};

const JOB_DEFAULTS = {
  attempts: 1,
  removeOnComplete: { age: 3_600 },
  removeOnFail: { age: 86_400 },
};

export class QueueUnavailableError extends Error {
  override name = 'QueueUnavailableError';
  constructor() {
    super(QUEUE_DOWN_MESSAGE);
  }
}

export interface BrokerGatewayOptions {
  redisUrl: string;
  prefix: string;
  logger: Logger;
  /** Bound on the wait after `pending`; tests shrink it. Default 10 min. */
  settleCapMs?: number;
}

type JobEnd =
  | { kind: 'completed'; value: unknown }
  | { kind: 'failed'; reason: string }
  | { kind: 'timeout' }
  | { kind: 'closing' };

export async function createBrokerGateway(
  options: BrokerGatewayOptions,
): Promise<BrokerGateway> {
  const { prefix } = options;
  const logger = options.logger.child({ part: 'gateway' });
  const settleCapMs = options.settleCapMs ?? SETTLE_CAP_MS;

  // Adds fail at once while Redis is away; the event stream waits it out.
  const producer = createImpatientConnection(options.redisUrl, {
    logger,
    name: 'gateway-producer',
  });
  // Only a template: each QueueEvents duplicates it for its blocking XREAD.
  const listenerTemplate = createPatientConnection(options.redisUrl, {
    logger,
    name: 'gateway-events',
    lazy: true,
  });
  const queues = {
    broker: new Queue(QUEUE_NAMES.broker, { connection: producer, prefix }),
    orders: new Queue(QUEUE_NAMES.orders, { connection: producer, prefix }),
  };
  for (const [name, queue] of Object.entries(queues)) {
    logConnectionErrors(queue, { logger, name: `gateway-${name}` });
    // BullMQ's waitUntilFinished adds one 'closing' listener per waiting
    // call; a busy desk easily has more than Node's default ten.
    queue.setMaxListeners(0);
  }
  let closing = false;

  // QueueEvents are made once Redis has answered: BullMQ cannot close one
  // whose first connection never succeeded (its close waits for it).
  let events: Record<'broker' | 'orders', QueueEvents> | null = null;
  const startEvents = () => {
    if (events !== null || closing) return;
    // From '$' BullMQ reads only what arrives while an XREAD is pending,
    // so an event landing between two reads would be lost; an explicit id
    // has no such gap. A minute back covers clock differences with Redis.
    const lastEventId = `${Date.now() - 60_000}-0`;
    const make = (name: 'broker' | 'orders') => {
      const queueEvents = new QueueEvents(QUEUE_NAMES[name], {
        connection: listenerTemplate,
        prefix,
        lastEventId,
      });
      // BullMQ re-emits errors of its own connection here.
      logConnectionErrors(queueEvents, {
        logger,
        name: `gateway-${name}-events`,
      });
      return queueEvents;
    };
    events = { broker: make('broker'), orders: make('orders') };
  };
  producer.once('ready', startEvents);

  // Ready at once when Redis is up; a gateway made while it is down still
  // starts, and answers "not reachable" until Redis is back.
  await waitForReady(producer, READY_WAIT_MS);

  /** The queue's event stream once Redis answers, or null if it does not. */
  async function reachableEvents(
    queue: 'broker' | 'orders',
  ): Promise<QueueEvents | null> {
    const up = await waitForReady(producer, READY_WAIT_MS);
    if (!up) return null;
    startEvents();
    const queueEvents = events?.[queue];
    if (queueEvents === undefined) return null;
    const ready = await withTimeout(
      queueEvents.waitUntilReady().then(() => true),
      READY_WAIT_MS,
      false,
    );
    return ready ? queueEvents : null;
  }

  /** Waits in progress; `close()` ends them so no timer outlives it. */
  const waits = new Set<(end: JobEnd) => void>();

  function waitForEnd(job: Job, queueEvents: QueueEvents): Promise<JobEnd> {
    return new Promise((resolve) => {
      const finish = (end: JobEnd) => {
        clearTimeout(cap);
        waits.delete(finish);
        resolve(end);
      };
      const cap = setTimeout(() => finish({ kind: 'timeout' }), settleCapMs);
      waits.add(finish);
      // No BullMQ ttl: its timer would keep a closed gateway's process
      // alive; the cap above decides instead.
      job.waitUntilFinished(queueEvents).then(
        (value: unknown) => finish({ kind: 'completed', value }),
        (err: unknown) =>
          finish({
            kind: 'failed',
            reason: err instanceof Error ? err.message : String(err),
          }),
      );
    });
  }

  function toOutcome<R>(
    end: JobEnd,
    queue: 'broker' | 'orders',
    jobId: string,
  ): CallOutcome<R> {
    switch (end.kind) {
      case 'completed':
        return { status: 'done', value: end.value as R };
      case 'failed':
        return { status: 'failed', message: chatMessage(end.reason, queue) };
      case 'timeout':
        logger.warn({ job_id: jobId }, 'job unanswered after the cap');
        return { status: 'failed', message: NO_ANSWER_MESSAGE };
      case 'closing':
        return { status: 'failed', message: NO_ANSWER_MESSAGE };
    }
  }

  const gateway: BrokerGateway = {
    async call<N extends BrokerJobName>(
      name: N,
      data: unknown,
      callOptions: { jobId?: string; deadlineMs?: number } = {},
    ): Promise<CallOutcome<JobResult<N>>> {
      const parsed = jobDataSchemas[name].safeParse(data);
      if (!parsed.success) {
        return {
          status: 'failed',
          message: `That request is not valid (${describeIssues(parsed.error)}).`,
        };
      }
      const { jobId } = callOptions;
      if (jobId !== undefined && !isValidJobId(jobId)) {
        logger.error({ job_id: jobId }, 'invalid job id from the caller');
        return {
          status: 'failed',
          message: 'Internal error: bad job id; nothing was sent.',
        };
      }

      const queue = queueFor(name);
      const queueEvents = closing ? null : await reachableEvents(queue);
      if (queueEvents === null) {
        return { status: 'failed', message: QUEUE_DOWN_MESSAGE };
      }

      let job: Job;
      try {
        const priority = JOB_PRIORITY[name];
        job = await queues[queue].add(name, parsed.data, {
          ...JOB_DEFAULTS,
          ...(jobId !== undefined && { jobId }),
          ...(priority !== undefined && { priority }),
        });
      } catch (err) {
        // With no offline queue, a refused write never reached Redis.
        const neverSent =
          err instanceof Error &&
          /enableOfflineQueue|writeable/i.test(err.message);
        logger.warn(
          { job_id: jobId, job_name: name, err: (err as Error).message },
          'enqueue failed',
        );
        return {
          status: 'failed',
          message: neverSent ? QUEUE_DOWN_MESSAGE : QUEUE_UNSURE_MESSAGE,
        };
      }
      const id = job.id ?? jobId ?? '';
      const ended = waitForEnd(job, queueEvents);

      const deadlineMs = callOptions.deadlineMs ?? DEFAULT_DEADLINE_MS;
      let deadline: NodeJS.Timeout | undefined;
      const first = await Promise.race([
        ended,
        new Promise<'deadline'>((resolve) => {
          deadline = setTimeout(() => resolve('deadline'), deadlineMs);
        }),
      ]);
      clearTimeout(deadline);

      if (first !== 'deadline') return toOutcome(first, queue, id);
      return {
        status: 'pending',
        jobId: id,
        settled: ended.then((end) => toOutcome<JobResult<N>>(end, queue, id)),
      };
    },

    async depth(): Promise<QueueDepth> {
      if (closing || !(await waitForReady(producer, READY_WAIT_MS))) {
        throw new QueueUnavailableError();
      }
      const total: QueueDepth = { waiting: 0, active: 0, delayed: 0 };
      for (const queue of Object.values(queues)) {
        // Jobs with a priority wait in their own set, not BullMQ's 'wait'.
        const counts = await queue.getJobCounts(
          'waiting',
          'prioritized',
          'active',
          'delayed',
        );
        total.waiting += (counts.waiting ?? 0) + (counts.prioritized ?? 0);
        total.active += counts.active ?? 0;
        total.delayed += counts.delayed ?? 0;
      }
      return total;
    },

    async close() {
      if (closing) return;
      closing = true;
      producer.off('ready', startEvents);
      for (const finish of [...waits]) finish({ kind: 'closing' });
      // Bounded: a QueueEvents whose connection died before its first
      // answer would wait for it forever.
      await Promise.all([
        ...Object.values(events ?? {}).map((e) =>
          withTimeout(e.close(), CLOSE_WAIT_MS, undefined),
        ),
        ...Object.values(queues).map((q) => q.close()),
      ]);
      await Promise.all([
        closeConnection(producer),
        closeConnection(listenerTemplate),
      ]);
    },
  };
  return gateway;
}

/**
 * A job's failedReason is chat-safe by the workers' rule, except BullMQ's
 * own words for a stalled job, which are translated here.
 */
function chatMessage(reason: string, queue: 'broker' | 'orders'): string {
  if (/stalled more than allowable limit/i.test(reason)) {
    return queue === 'orders' ? ORDER_STALLED_MESSAGE : READ_STALLED_MESSAGE;
  }
  if (/^Missing key for job/i.test(reason)) {
    return 'The job ended and its result has expired; please ask again.';
  }
  return reason;
}

/** BullMQ refuses integer-like ids and a `:` outside its 3-part form. */
function isValidJobId(jobId: string): boolean {
  return (
    jobId.length > 0 &&
    jobId.length <= 200 &&
    !jobId.includes(':') &&
    String(Number.parseInt(jobId, 10)) !== jobId
  );
}

function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  fallback: T,
): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(fallback);
      },
    );
  });
}
