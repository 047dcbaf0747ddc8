import type {
  BrokerGateway,
  BrokerJobName,
  CallOutcome,
  JobData,
  JobResult,
} from '../queue/jobs.ts';
import type { Replier } from './chat-reply.ts';
import { escapeHtml, tidyBrokerText } from './format.ts';
import { telegramErrorFields } from './telegram-errors.ts';

/**
 * Runs one broker job through the gateway and answers in the chat. A job
 * that outlasts the gateway's deadline gets "still working" at once and
 * its result later, without holding up the update (and the updates
 * behind it) until the broker answers.
 */

export const QUEUE_DOWN_REPLY =
  '⚠️ The job queue is not reachable right now, so nothing was sent to the broker. Try again in a minute.';

export const STILL_WORKING_REPLY =
  '⏳ Still working on it… the answer follows here.';

const LOST_JOB_REPLY =
  'Lost track of that job. Check /orders and /status before trying again.';

/** Background follow-ups in flight; settled ones remove themselves. */
export class FollowUps {
  private readonly running = new Set<Promise<void>>();

  track(task: Promise<void>): void {
    this.running.add(task);
    void task.finally(() => this.running.delete(task));
  }

  /** Resolves once every follow-up started so far has been sent or failed. */
  async idle(): Promise<void> {
    while (this.running.size > 0) {
      await Promise.allSettled([...this.running]);
    }
  }
}

export interface CallOptions {
  jobId?: string;
  deadlineMs?: number;
}

/**
 * @returns the outcome, or null when the queue could not be reached (the
 *   user has been told).
 */
export async function callBroker<N extends BrokerJobName>(
  gateway: BrokerGateway,
  replier: Replier,
  name: N,
  data: JobData<N>,
  options: CallOptions = {},
): Promise<CallOutcome<JobResult<N>> | null> {
  try {
    return await gateway.call(name, data, options);
  } catch (err) {
    replier.log.error({ err, job: name }, 'gateway call failed');
    await replier.send(QUEUE_DOWN_REPLY);
    return null;
  }
}

/** Sends the outcome; a pending one is followed up in the background. */
export async function replyWithOutcome<R>(
  replier: Replier,
  outcome: CallOutcome<R>,
  render: (value: R) => string,
  followUps: FollowUps,
): Promise<void> {
  switch (outcome.status) {
    case 'done':
      await replier.send(render(outcome.value));
      return;
    case 'failed':
      await replier.send(`❌ ${escapeHtml(tidyBrokerText(outcome.message))}`);
      return;
    case 'pending':
      replier.log.info({ job_id: outcome.jobId }, 'job still running');
      await replier.send(STILL_WORKING_REPLY);
      followUps.track(
        outcome.settled
          .catch((err: unknown): CallOutcome<R> => {
            replier.log.error({ err, job_id: outcome.jobId }, 'job lost');
            return { status: 'failed', message: LOST_JOB_REPLY };
          })
          .then((settled) =>
            replyWithOutcome(replier, settled, render, followUps),
          )
          .catch((err: unknown) => {
            replier.log.error(
              { job_id: outcome.jobId, ...telegramErrorFields(err) },
              'late result not delivered',
            );
          }),
      );
      return;
  }
}

/** {@link callBroker} then {@link replyWithOutcome}. */
export async function callAndReply<N extends BrokerJobName>(
  gateway: BrokerGateway,
  replier: Replier,
  followUps: FollowUps,
  name: N,
  data: JobData<N>,
  render: (value: JobResult<N>) => string,
  options: CallOptions = {},
): Promise<void> {
  const outcome = await callBroker(gateway, replier, name, data, options);
  if (outcome === null) return;
  await replyWithOutcome(replier, outcome, render, followUps);
}
