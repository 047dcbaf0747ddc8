import { markOrderActivity } from '../../alerts/order-activity.ts';
import { ChatSafeError } from '../job-errors.ts';
import type { CancelResult, JobData } from '../jobs.ts';
import { findInBook, isRefusal, type OrderProcessorDeps } from './deps.ts';

/**
 * Cancels one order. When the broker refuses because the order is gone
 * ("does not exist", "already executed"), the book says what happened to
 * it: filled, cancelled or rejected before our cancel is not a failure.
 */
export async function cancelOrderJob(
  deps: OrderProcessorDeps,
  data: JobData<'cancel-order'>,
): Promise<CancelResult> {
  const { orderId } = data;
  const logger = deps.logger.child({ order_id: orderId });
  // The watcher should see the cancel land (and alert it).
  await markOrderActivity(deps.redis, deps.prefix, { now: deps.now() });

  try {
    await deps.client.cancelOrder(orderId);
  } catch (err) {
    if (!isRefusal(err)) throw err;
    const order = await findInBook(deps.client, orderId, logger);
    if (order === null) {
      throw new ChatSafeError(
        `Order ${orderId} is not in today's order book, so it cannot be cancelled. Check the id with /orders.`,
        true,
        { cause: err },
      );
    }
    if (order.state === 'open') throw err;
    logger.info({ state: order.state }, 'order closed before the cancel');
    return { orderId, outcome: 'already-closed', order };
  }

  logger.info('order cancelled');
  // Detail for the reply only: never worth holding the orders queue.
  const order = await findInBook(deps.client, orderId, logger, {
    background: true,
  });
  return { orderId, outcome: 'cancelled', order };
}
