import type {
  BrokerClient,
  BrokerList,
  Order,
  PlaceOrderRequest,
} from '../../mstock/types.ts';
import { parseBrokerTime } from '../broker-time.ts';

/**
 * After an order POST whose answer was lost, or when an intent turns up a
 * second time, the order book is the only witness. Our tag is the exact
 * match; mStock's book has been seen with `tag: []`, so where the broker
 * does not echo tags the match falls back to exchange, symbol, side,
 * quantity, type (and price for a limit) placed since the attempt began.
 */

/** Allowance for the broker's clock against ours, either way. */
export const CLOCK_SKEW_MS = 2 * 60_000;

export type Reconciliation =
  | { found: true; order: Order; by: 'tag' | 'fields' }
  | { found: false; detail: string };

export interface MatchWindow {
  /** Epoch ms when our attempt began. */
  startedAt: number;
  now: number;
  /** Order ids that belong to other intents already. */
  exclude: ReadonlySet<string>;
}

const CHECK = 'Check /orders before placing it again.';

export async function findPlacedOrder(
  client: BrokerClient,
  request: PlaceOrderRequest,
  window: MatchWindow,
): Promise<Reconciliation> {
  let book: BrokerList<Order>;
  try {
    book = await client.orders();
  } catch (err) {
    const why = err instanceof Error ? err.message : 'unknown error';
    return {
      found: false,
      detail: `The broker did not confirm the order and the order book could not be read (${why}). ${CHECK}`,
    };
  }
  const found = matchOrder(book, request, window);
  const unread = book.unreadableRows ?? 0;
  if (found.found || unread === 0) return found;
  return {
    found: false,
    detail: `${found.detail} (${unread} row(s) of the order book could not be read; it may be one of them.)`,
  };
}

export function matchOrder(
  book: readonly Order[],
  request: PlaceOrderRequest,
  window: MatchWindow,
): Reconciliation {
  const tagged = book.find((o) => o.tag === request.tag);
  if (tagged !== undefined) return { found: true, order: tagged, by: 'tag' };

  // A broker that echoes tags would have shown ours by now.
  if (book.some((o) => hasTag(o))) {
    return { found: false, detail: notInBook() };
  }

  const candidates = book.filter(
    (o) =>
      !window.exclude.has(o.orderId) &&
      sameOrder(o, request) &&
      placedWithin(o, window),
  );
  const [only, ...more] = candidates;
  if (only === undefined) return { found: false, detail: notInBook() };
  if (more.length > 0) {
    return {
      found: false,
      detail: `The broker did not confirm the order, and ${candidates.length} orders in the book look like it. ${CHECK}`,
    };
  }
  return { found: true, order: only, by: 'fields' };
}

/** The book has shown `[]`, `"None"` and null for "no tag". */
function hasTag(o: Order): boolean {
  const tag = o.tag?.trim() ?? '';
  return tag !== '' && !/^(none|null|\[\])$/i.test(tag);
}

function sameOrder(o: Order, request: PlaceOrderRequest): boolean {
  if (
    o.exchange !== request.exchange ||
    o.symbol.toUpperCase() !== request.symbol ||
    o.side !== request.side ||
    o.quantity !== request.quantity ||
    o.orderType.toUpperCase() !== request.orderType
  ) {
    return false;
  }
  if (request.orderType === 'LIMIT') {
    return (
      o.price !== null &&
      request.price !== undefined &&
      Math.abs(o.price - request.price) < 0.005
    );
  }
  return true;
}

/** An order whose time we cannot read is not claimed by a guess. */
function placedWithin(o: Order, window: MatchWindow): boolean {
  const at = parseBrokerTime(o.placedAt, window.now);
  return (
    at !== null &&
    at >= window.startedAt - CLOCK_SKEW_MS &&
    at <= window.now + CLOCK_SKEW_MS
  );
}

function notInBook(): string {
  return `The broker did not confirm the order, and it is not in the order book yet; it may still appear. ${CHECK}`;
}
