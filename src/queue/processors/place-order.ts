import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../logger.ts';
import { markOrderActivity } from '../../alerts/order-activity.ts';
import { BrokerError } from '../../mstock/errors.ts';
import { neverReachedBroker } from '../../mstock/http.ts';
import { ChatSafeError, HALTED_MESSAGE } from '../job-errors.ts';
import type { IntentRecord } from '../intent-store.ts';
import type { JobData, PlaceOrderResult } from '../jobs.ts';
import { findInBook, type OrderProcessorDeps } from './deps.ts';
import { findPlacedOrder } from './reconcile-order.ts';

/**
 * Places one confirmed order intent, at most once (invariants 1 and 2):
 *
 * 1. While trading is halted nothing is sent.
 * 2. The intent's record is claimed in Redis before the POST. Whoever
 *    finds it claimed (a duplicate job, a re-run after a crash) never
 *    posts: it reads the outcome recorded, or reconciles with the book.
 * 3. At the last moment before the POST leaves (token and rate-limit slot
 *    in hand), one atomic Redis step checks the halt and marks the POST
 *    as in flight. So a /panic either sets the halt first and this POST
 *    never leaves, or finds it in flight and waits for it to settle.
 * 4. An unclear answer is reconciled against the order book; the POST is
 *    never repeated.
 */

const NOT_SENT_MESSAGE =
  'The order was not sent: an internal check before sending failed. Place it again.';

/** A place-order job older than this, never started, is not sent. */
export const MAX_QUEUE_WAIT_MS = 120_000;

/** A duplicate that finds the intent mid-POST waits this long for it. */
const SENDING_WAIT_MS = 10_000;
const SENDING_POLL_MS = 200;

/** The halt met the order at its last check before the POST. */
class HaltedAtSendError extends ChatSafeError {
  override name = 'HaltedAtSendError';
  constructor() {
    super(HALTED_MESSAGE);
  }
}

/** The job as BullMQ holds it. */
export interface PlaceOrderJobRef {
  id: string | null;
  /** Epoch ms when the job was added (BullMQ's `timestamp`). */
  enqueuedAt: number;
}

export async function placeOrderJob(
  deps: OrderProcessorDeps,
  data: JobData<'place-order'>,
  job: PlaceOrderJobRef,
): Promise<PlaceOrderResult> {
  const { intentId } = data;
  const jobId = job.id;
  const logger = deps.logger.child({ intent_id: intentId, job_id: jobId });

  if (await deps.control.isHalted()) {
    const earlier = await deps.intents.read(intentId);
    // An intent sent before the halt still has an outcome to report.
    if (earlier === null || earlier.state === 'failed') {
      throw new ChatSafeError(HALTED_MESSAGE);
    }
    return resume(deps, data, earlier, logger);
  }

  // A confirmation is for the market as the user saw it: a job that
  // waited long (workers down) is not sent at a later price. One that
  // already has a record reports it, however old.
  const waitedMs = deps.now() - job.enqueuedAt;
  if (
    waitedMs > MAX_QUEUE_WAIT_MS &&
    (await deps.intents.read(intentId)) === null
  ) {
    logger.warn({ waited_ms: waitedMs }, 'order job too old; not sent');
    throw new ChatSafeError(
      `This order waited too long in the queue (${Math.round(waitedMs / 1000)} s) and was not sent; place it again if you still want it.`,
    );
  }

  const startedAt = deps.now();
  const earlier = await deps.intents.claim(intentId, { startedAt, jobId });
  if (earlier !== null) {
    logger.warn(
      { state: earlier.state },
      'order intent seen before; not sent again',
    );
    return resume(deps, data, earlier, logger);
  }

  try {
    await markOrderActivity(deps.redis, deps.prefix, { now: deps.now() });
    return await send(deps, data, startedAt, logger);
  } finally {
    await deps.intents.endPlacing(intentId);
  }
}

async function send(
  deps: OrderProcessorDeps,
  data: JobData<'place-order'>,
  startedAt: number,
  logger: Logger,
): Promise<PlaceOrderResult> {
  let orderId: string;
  try {
    ({ orderId } = await deps.client.placeOrder(data.request, {
      beforeSend: async () => {
        if (!(await deps.intents.enterPlacing(data.intentId))) {
          throw new HaltedAtSendError();
        }
      },
    }));
  } catch (err) {
    if (err instanceof HaltedAtSendError) {
      // Never sent: forget the claim, as if the job had met the halt first.
      await deps.intents.release(data.intentId);
      logger.warn('order met the halt just before its POST; not sent');
      throw err;
    }
    // A BrokerError is the broker's refusal, or a failure before sending;
    // either way the order is certainly not placed. So is anything the
    // client marks as never sent. An OrderOutcomeUnknownError, or anything
    // unexpected, may hide an order that reached the broker: ask the book,
    // never post again.
    if (err instanceof BrokerError || neverReachedBroker(err)) {
      const refusal =
        err instanceof BrokerError
          ? err
          : new ChatSafeError(NOT_SENT_MESSAGE, true, { cause: err });
      await deps.intents.write(data.intentId, {
        state: 'failed',
        startedAt,
        message: refusal.message,
      });
      logger.warn(
        {
          kind: err instanceof BrokerError ? err.kind : 'internal',
          err: err instanceof Error ? err.message : err,
        },
        'order refused or not sent',
      );
      throw refusal;
    }
    logger.warn(
      { err: err instanceof Error ? err.message : err },
      'order outcome unknown; reconciling with the order book',
    );
    return reconcile(deps, data, startedAt, logger);
  }

  await recordSent(
    deps,
    data.intentId,
    startedAt,
    orderId,
    'broker-reply',
    logger,
  );
  logger.info({ order_id: orderId }, 'order submitted');
  // Detail for the reply only; the watcher reports what happens next.
  const order = await findInBook(deps.client, orderId, logger, {
    background: true,
  });
  return { outcome: 'submitted', orderId, order, confirmedBy: 'broker-reply' };
}

/** Never posts: reports what an earlier attempt of this intent did. */
async function resume(
  deps: OrderProcessorDeps,
  data: JobData<'place-order'>,
  earlier: IntentRecord,
  logger: Logger,
): Promise<PlaceOrderResult> {
  let record = earlier;
  if (record.state === 'sending' && isRecent(deps, record.startedAt)) {
    record = await waitWhileSending(deps, data.intentId, record);
  }

  switch (record.state) {
    case 'sent': {
      const order = await findInBook(deps.client, record.orderId, logger, {
        background: true,
      });
      return {
        outcome: 'submitted',
        orderId: record.orderId,
        order,
        confirmedBy: record.confirmedBy,
      };
    }
    case 'failed':
      throw new ChatSafeError(record.message);
    case 'sending':
    case 'unknown':
      // A worker died mid-POST, or the answer was lost: the book decides.
      return reconcile(deps, data, record.startedAt, logger);
  }
}

async function reconcile(
  deps: OrderProcessorDeps,
  data: JobData<'place-order'>,
  startedAt: number,
  logger: Logger,
): Promise<PlaceOrderResult> {
  const exclude = await deps.intents.claimedOrders(data.intentId);
  const found = await findPlacedOrder(deps.client, data.request, {
    startedAt,
    now: deps.now(),
    exclude,
  });
  if (!found.found) {
    return recordUnknown(deps, data, startedAt, found.detail, logger);
  }

  const confirmedBy = found.by === 'tag' ? 'order-tag' : 'order-fields';
  const orderId = found.order.orderId;
  const kept = await recordSent(
    deps,
    data.intentId,
    startedAt,
    orderId,
    confirmedBy,
    logger,
  );
  if (!kept) {
    // Another intent, reconciling at the same time, matched the same order
    // first: neither of us can tell whose it is, so ours is not found.
    logger.warn({ order_id: orderId }, 'matching order claimed meanwhile');
    return recordUnknown(
      deps,
      data,
      startedAt,
      'The broker did not confirm the order, and the only order in the book that looks like it belongs to another order request. Check /orders before placing it again.',
      logger,
    );
  }
  logger.info(
    { order_id: orderId, matched_by: found.by },
    'order found in the book',
  );
  return { outcome: 'submitted', orderId, order: found.order, confirmedBy };
}

async function recordUnknown(
  deps: OrderProcessorDeps,
  data: JobData<'place-order'>,
  startedAt: number,
  detail: string,
  logger: Logger,
): Promise<PlaceOrderResult> {
  await deps.intents.write(data.intentId, {
    state: 'unknown',
    startedAt,
    detail,
  });
  await markOrderActivity(deps.redis, deps.prefix, { now: deps.now() });
  logger.warn('order not found in the book; outcome unknown');
  return { outcome: 'unknown', detail };
}

/**
 * Claims the order id for the intent, then records it as sent.
 * @returns false, recording nothing, when the order was matched by its
 *   fields alone and another intent owns it already. The broker's reply
 *   and our tag are proof enough to keep the id whatever the claims say.
 */
async function recordSent(
  deps: OrderProcessorDeps,
  intentId: string,
  startedAt: number,
  orderId: string,
  confirmedBy: 'broker-reply' | 'order-tag' | 'order-fields',
  logger: Logger,
): Promise<boolean> {
  const claimed = await deps.intents.claimOrder(orderId, intentId);
  if (!claimed) {
    if (confirmedBy === 'order-fields') return false;
    logger.error(
      { order_id: orderId, confirmed_by: confirmedBy },
      'order id claimed by another intent before its own; kept for this one',
    );
  }
  await deps.intents.write(intentId, {
    state: 'sent',
    startedAt,
    orderId,
    confirmedBy,
  });
  await markOrderActivity(deps.redis, deps.prefix, {
    now: deps.now(),
    orderId,
  });
  return true;
}

function isRecent(deps: OrderProcessorDeps, at: number): boolean {
  return deps.now() - at < SENDING_WAIT_MS;
}

/** Another job holds the intent mid-POST: give it a moment to finish. */
async function waitWhileSending(
  deps: OrderProcessorDeps,
  intentId: string,
  record: IntentRecord,
): Promise<IntentRecord> {
  // Real time, not the injected clock: this is an actual wait.
  const deadline = Date.now() + SENDING_WAIT_MS;
  let current: IntentRecord | null = record;
  while (current?.state === 'sending' && Date.now() < deadline) {
    await sleep(SENDING_POLL_MS);
    current = await deps.intents.read(intentId);
  }
  // Only a job that met the halt after its claim drops the record.
  if (current === null) throw new ChatSafeError(HALTED_MESSAGE);
  return current;
}
