import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../logger.ts';
import { markOrderActivity } from '../../alerts/order-activity.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../../mstock/client.ts';
import type { BrokerClient, BrokerList, Order } from '../../mstock/types.ts';
import { ChatSafeError } from '../job-errors.ts';
import type { JobData, PanicReport } from '../jobs.ts';
import { isRefusal, reasonOf, type OrderProcessorDeps } from './deps.ts';

/**
 * The emergency brake. Halt first, so nothing new goes out while we work;
 * then cancel every open order one by one, carrying on past any failure;
 * then read the book again and report what is still open. Running it
 * twice is harmless: the second run finds nothing left to cancel.
 */

const PLACING_POLL_MS = 100;
const PLACING_MARGIN_MS = 5_000;

export async function panicJob(
  deps: OrderProcessorDeps,
  data: JobData<'panic'>,
): Promise<PanicReport> {
  const logger = deps.logger.child({ requested_by: data.requestedBy });

  const changed = await deps.control.halt(data.requestedBy);
  logger.warn({ changed }, 'panic: trading halted');
  await waitForPlacements(deps, logger);
  await markOrderActivity(deps.redis, deps.prefix, { now: deps.now() });

  let book: BrokerList<Order>;
  try {
    book = await deps.client.orders();
  } catch (err) {
    return cancelAllInstead(deps, logger, err);
  }
  const open = book.filter(mayBeOpen);

  const cancelled: Order[] = [];
  const refused: { order: Order; reason: string }[] = [];
  const errored: { order: Order; reason: string }[] = [];
  for (const order of open) {
    try {
      await deps.client.cancelOrder(order.orderId);
      cancelled.push(order);
    } catch (err) {
      const entry = { order, reason: reasonOf(err, logger) };
      (isRefusal(err) ? refused : errored).push(entry);
      logger.warn(
        { order_id: order.orderId, state: order.state, reason: entry.reason },
        'panic: cancel not done',
      );
    }
  }

  const after = await rereadBook(deps);
  const unreadableRows = Math.max(
    book.unreadableRows ?? 0,
    after?.unreadableRows ?? 0,
  );
  if (unreadableRows > 0) {
    logger.warn({ unreadable_rows: unreadableRows }, 'panic: rows unread');
  }
  return buildReport(
    open.length,
    cancelled,
    refused,
    errored,
    after,
    unreadableRows,
  );
}

/**
 * The fallback when the order book cannot be read at all: without it we
 * do not know which orders to cancel one by one, so the broker is asked
 * to cancel everything at once, and the book is read again for the
 * report. The report says so (`usedCancelAll`); what was open before is
 * unknown, so nothing is listed as cancelled by us.
 */
async function cancelAllInstead(
  deps: OrderProcessorDeps,
  logger: Logger,
  readError: unknown,
): Promise<PanicReport> {
  const readReason = reasonOf(readError, logger);
  logger.warn({ reason: readReason }, 'panic: book unread; cancelling all');
  try {
    await deps.client.cancelAll();
  } catch (err) {
    throw new ChatSafeError(
      `Trading is halted, but the order book could not be read (${readReason}), and cancelling every order at once failed too (${reasonOf(err, logger)}). Orders may still be open: run /panic again, or check /orders.`,
      true,
      { cause: err },
    );
  }
  const after = await rereadBook(deps);
  const unreadableRows = after?.unreadableRows ?? 0;
  return {
    ...buildReport(0, [], [], [], after, unreadableRows),
    usedCancelAll: true,
  };
}

/**
 * Open, or in a state whose status word we do not know: such an order
 * may well be working, so it is cancelled (a refusal costs nothing) and
 * reported while it stays in the book.
 */
export function mayBeOpen(order: Order): boolean {
  return order.state === 'open' || order.state === 'unknown';
}

/**
 * POSTs that passed their last halt check before ours may still be on the
 * wire: wait until each has settled, so the book read next shows their
 * orders. After the halt no new entry can appear, and an entry older than
 * the bound belongs to a worker that died (its POST settled or never
 * will), so one bound of waiting is always enough.
 */
async function waitForPlacements(
  deps: OrderProcessorDeps,
  logger: Logger,
): Promise<void> {
  const boundMs = placingBoundMs(deps.client);
  // Real time, not the injected clock: this is an actual wait.
  const deadline = Date.now() + boundMs + PLACING_POLL_MS;
  let inFlight = await deps.intents.placingCount(boundMs);
  if (inFlight === 0) return;
  logger.info(
    { in_flight: inFlight, bound_ms: boundMs },
    'panic: waiting for order POSTs in flight',
  );
  while (inFlight > 0) {
    if (Date.now() >= deadline) {
      // Only clocks jumping can get here; the report is then unverified
      // for these, but the halt stands.
      logger.warn({ in_flight: inFlight }, 'panic: POSTs still in flight');
      return;
    }
    await sleep(PLACING_POLL_MS);
    inFlight = await deps.intents.placingCount(boundMs);
  }
}

/**
 * How long an order POST may be in flight: the client's request timeout,
 * plus a margin for the steps around it (the Redis mark, the reply's
 * parsing, a busy event loop).
 */
export function placingBoundMs(client: BrokerClient): number {
  return (
    (client.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS) + PLACING_MARGIN_MS
  );
}

async function rereadBook(
  deps: OrderProcessorDeps,
): Promise<BrokerList<Order> | null> {
  try {
    return await deps.client.orders();
  } catch (err) {
    deps.logger.warn(
      { reason: reasonOf(err, deps.logger) },
      'panic: re-read failed',
    );
    return null;
  }
}

/**
 * A refused cancel is "already closed" unless the second look shows the
 * order still open (or still in an unknown state); then it is a failure
 * with the broker's reason. Orders are reported as the second look shows
 * them (a fill's price and quantity), or as first seen when that look
 * failed. Rows the broker sent that could not be read are counted, and a
 * second look with such rows does not verify that nothing is open.
 */
export function buildReport(
  openBefore: number,
  cancelled: Order[],
  refused: { order: Order; reason: string }[],
  errored: { order: Order; reason: string }[],
  after: BrokerList<Order> | null,
  unreadableRows = 0,
): PanicReport {
  const latest = new Map((after ?? []).map((o) => [o.orderId, o]));
  const fresh = (o: Order) => latest.get(o.orderId) ?? o;

  const alreadyClosed: Order[] = [];
  const failed = errored.map((f) => ({
    order: fresh(f.order),
    reason: f.reason,
  }));
  for (const r of refused) {
    const now = fresh(r.order);
    if (after !== null && mayBeOpen(now)) {
      failed.push({ order: now, reason: r.reason });
    } else {
      alreadyClosed.push(now);
    }
  }

  const unreadAfter = (after?.unreadableRows ?? 0) > 0;
  return {
    openBefore,
    cancelled: cancelled.map(fresh),
    alreadyClosed,
    failed,
    // Unverified: the orders whose cancel failed are the ones presumed open.
    stillOpen:
      after !== null ? after.filter(mayBeOpen) : failed.map((f) => f.order),
    verified: after !== null && !unreadAfter,
    ...(unreadableRows > 0 && { unreadableRows }),
  };
}
