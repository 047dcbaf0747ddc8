import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import type { Logger } from '../logger.ts';
import { BrokerError, OrderOutcomeUnknownError } from '../mstock/errors.ts';
import { describeIssues } from '../mstock/schemas.ts';

/**
 * What a job throws becomes its `failedReason`, which the bot shows in the
 * chat as is. So everything thrown to BullMQ is either a message written
 * for the user or a pointer to the worker log; a stack or a broker body
 * never travels that way.
 */

export const HALTED_MESSAGE =
  'Trading is halted; an admin must /resume first. Nothing was sent.';

/** A processor's own refusal, worded for the chat. */
export class ChatSafeError extends Error {
  override name = 'ChatSafeError';
  constructor(
    message: string,
    /** False when trying the same job again later may succeed. */
    readonly final = true,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

export interface JobRef {
  id: string | undefined;
  name: string;
}

/**
 * Converts anything a processor threw into the error BullMQ records.
 * Final errors become `UnrecoverableError` so no retry policy re-runs them.
 */
export function toJobError(err: unknown, job: JobRef, logger: Logger): Error {
  if (err instanceof UnrecoverableError) return err;
  if (err instanceof ChatSafeError) {
    return err.final ? new UnrecoverableError(err.message) : err;
  }
  if (err instanceof BrokerError) {
    return err.retryable ? new Error(err.message) : final(err.message);
  }
  if (err instanceof OrderOutcomeUnknownError) return final(err.message);
  if (err instanceof z.ZodError) {
    return final(
      `Job ${job.name} carries bad data (${describeIssues(err)}); it was not run.`,
    );
  }
  logger.error(
    { err, job_id: job.id, job_name: job.name },
    'job failed with an internal error',
  );
  return final(
    `Internal error in job ${job.id ?? job.name}; see the worker log.`,
  );
}

function final(message: string): UnrecoverableError {
  return new UnrecoverableError(message);
}
