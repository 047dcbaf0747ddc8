import type { Order, PlaceOrderRequest } from '../mstock/types.ts';
import type { HaltInfo } from '../queue/control-state.ts';
import { escapeHtml, formatIstDateTime, formatMoney } from './format.ts';
import { describeOrder, describeRequest } from './render-orders.ts';

/**
 * Confirmation tickets: what will happen on Confirm, shown before it
 * happens, and the ticket's final state once a button was pressed.
 */

export function renderOrderTicket(
  request: PlaceOrderRequest,
  lastPrice: number | null,
  ttlSeconds: number,
): string {
  const lines = ['<b>Confirm order</b>', describeRequest(request)];
  const unitPrice = request.price ?? lastPrice;
  if (lastPrice !== null || unitPrice !== null) {
    const ltp = lastPrice !== null ? `LTP ${formatMoney(lastPrice)}` : '';
    const value =
      unitPrice !== null
        ? `est. value ${formatMoney(unitPrice * request.quantity)}`
        : '';
    lines.push([ltp, value].filter((s) => s !== '').join(' · '));
  }
  if (request.orderType === 'MARKET') {
    lines.push('Market order: fills at the best price available.');
  }
  lines.push(`Expires in ${ttlSeconds} s.`);
  return lines.join('\n');
}

/**
 * @param order the order as the book shows it; null when the book could
 *   not be read, which the ticket says.
 */
export function renderCancelTicket(
  orderId: string,
  order: Order | null,
  ttlSeconds: number,
): string {
  return [
    '<b>Confirm cancel</b>',
    `Cancel order <code>${escapeHtml(orderId)}</code>?`,
    order !== null
      ? describeOrder(order)
      : '⚠️ The order book could not be read right now, so this order was not checked.',
    `Expires in ${ttlSeconds} s.`,
  ].join('\n');
}

/** Why there is no cancel ticket: the id is not in the book. */
export function unknownOrderNotice(orderId: string): string {
  return `No order <code>${escapeHtml(orderId)}</code> in today's book. Check the id with /orders.`;
}

/** Why there is no cancel ticket: the order is no longer working. */
export function closedOrderNotice(order: Order): string {
  return `Order <code>${escapeHtml(order.orderId)}</code> is already ${escapeHtml(order.status)}; nothing to cancel.\n${describeOrder(order)}`;
}

/**
 * @param openOrders null when the book could not be read.
 * @param alreadyHalted a panic while halted still cancels what is open.
 */
export function renderPanicTicket(
  openOrders: number | null,
  alreadyHalted: boolean,
  ttlSeconds: number,
): string {
  const open =
    openOrders === null
      ? 'The open orders could not be counted right now.'
      : `${openOrders} open order${openOrders === 1 ? '' : 's'} right now.`;
  return [
    '🛑 <b>Confirm panic</b>',
    alreadyHalted
      ? 'Trading is already halted. Cancel every open order again?'
      : 'Halt all new orders and cancel every open order?',
    open,
    `Expires in ${ttlSeconds} s.`,
  ].join('\n');
}

/** Shown only while halted (/resume answers at once otherwise). */
export function renderResumeTicket(halt: HaltInfo, ttlSeconds: number) {
  const by = halt.by !== null ? ` by ${halt.by}` : '';
  const since =
    halt.at !== null
      ? `Halted since ${formatIstDateTime(halt.at)}${by}.`
      : `Halted${by}.`;
  return [
    '<b>Confirm resume</b>',
    'Lift the halt and allow new orders again?',
    since,
    `Expires in ${ttlSeconds} s.`,
  ].join('\n');
}

/** The ticket with its buttons gone and what became of it. */
export function closedTicket(
  ticketHtml: string,
  outcome: 'confirmed' | 'dismissed',
): string {
  const body = ticketHtml.replace(/\nExpires in \d+ s\.$/, '');
  return outcome === 'confirmed'
    ? `${body}\n\n✅ Confirmed. Working on it…`
    : `${body}\n\n✖️ Dismissed. Nothing was sent.`;
}

/** Shown when Confirm meets a halt that began after the ticket. */
export function haltedNotice(): string {
  return '🛑 Trading is halted, so no order was sent. An admin can lift the halt with /resume.';
}
