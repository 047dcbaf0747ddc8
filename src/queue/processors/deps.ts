import type { Redis } from 'ioredis';
import type { Logger } from '../../logger.ts';
import { BrokerError } from '../../mstock/errors.ts';
import type { BrokerClient, Order, ReadOptions } from '../../mstock/types.ts';
import type { ControlState } from '../control-state.ts';
import type { IntentStore } from '../intent-store.ts';

/** What the order processors work with; one set per worker process. */
export interface OrderProcessorDeps {
  client: BrokerClient;
  control: ControlState;
  /** A patient connection: a Redis blip delays, never loses, a record. */
  redis: Redis;
  prefix: string;
  intents: IntentStore;
  logger: Logger;
  now: () => number;
}

/**
 * The broker refused the request as such ("order does not exist",
 * "already executed"): worth a look at the book, not a retry.
 */
export function isRefusal(err: unknown): err is BrokerError {
  return (
    err instanceof BrokerError &&
    (err.kind === 'rejected' || err.kind === 'input')
  );
}

/** A chat-safe reason for one failed step, for reports that go on. */
export function reasonOf(err: unknown, logger: Logger): string {
  if (err instanceof BrokerError) return err.message;
  logger.error({ err }, 'unexpected error in an order step');
  return 'Internal error; see the worker log.';
}

/**
 * Reads the book for one order; null when it is absent or unreadable.
 * `background`: the read only adds detail to a result, so it must not
 * hold the orders queue (and a /panic behind it) waiting for the data
 * budget: it fails at once when no slot is free.
 */
export async function findInBook(
  client: BrokerClient,
  orderId: string,
  logger: Logger,
  options: ReadOptions = {},
): Promise<Order | null> {
  try {
    const book = await client.orders(options);
    return book.find((o) => o.orderId === orderId) ?? null;
  } catch (err) {
    const busy = err instanceof BrokerError && err.kind === 'rate-limited';
    // A busy data budget is the expected end of a background read.
    logger[busy && options.background === true ? 'debug' : 'warn'](
      { order_id: orderId, err: err instanceof Error ? err.message : err },
      'order book read failed',
    );
    return null;
  }
}
