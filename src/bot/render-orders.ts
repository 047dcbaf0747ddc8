import type { Order, PlaceOrderRequest } from '../mstock/types.ts';
import type {
  CancelResult,
  PanicReport,
  PlaceOrderResult,
} from '../queue/jobs.ts';
import { escapeHtml, formatMoney, formatQty } from './format.ts';

/** Replies about orders: the book, placement, cancel and panic, HTML. */

/** `BUY 5 NSE:INFY @ MARKET (CNC)`, from what the user asked for. */
export function describeRequest(
  request: Pick<
    PlaceOrderRequest,
    'side' | 'quantity' | 'exchange' | 'symbol' | 'price' | 'product'
  >,
): string {
  const price =
    request.price === undefined ? 'MARKET' : formatMoney(request.price);
  return `${request.side} ${formatQty(request.quantity)} ${escapeHtml(`${request.exchange}:${request.symbol}`)} @ ${price} (${escapeHtml(request.product)})`;
}

/** `BUY 5 NSE:INFY @ ₹1,500.00 (CNC) · Pending, 0/5 filled`, from the book. */
export function describeOrder(order: Order): string {
  const price =
    order.price !== null && order.price > 0
      ? formatMoney(order.price)
      : escapeHtml(order.orderType);
  return `${order.side} ${formatQty(order.quantity)} ${escapeHtml(`${order.exchange}:${order.symbol}`)} @ ${price} (${escapeHtml(order.product)}) · ${escapeHtml(order.status)}, ${formatQty(order.filledQuantity)}/${formatQty(order.quantity)} filled`;
}

/** One line per order: id, what, price, status and filled/total. */
export function orderLine(order: Order): string {
  const price =
    order.price !== null && order.price > 0
      ? formatMoney(order.price)
      : escapeHtml(order.orderType);
  const average =
    order.filledQuantity > 0 && order.averagePrice !== null
      ? ` avg ${formatMoney(order.averagePrice)}`
      : '';
  const reason =
    order.statusMessage !== null && order.statusMessage !== ''
      ? `\n    ${escapeHtml(order.statusMessage)}`
      : '';
  return `<code>${escapeHtml(order.orderId)}</code> ${order.side} ${formatQty(order.quantity)} <b>${escapeHtml(`${order.exchange}:${order.symbol}`)}</b> @ ${price} ${escapeHtml(order.product)} · ${escapeHtml(order.status)} ${formatQty(order.filledQuantity)}/${formatQty(order.quantity)}${average}${reason}`;
}

export function renderOrders(orders: Order[], onlyOpen: boolean): string {
  const shown = onlyOpen ? orders.filter((o) => o.state === 'open') : orders;
  const title = onlyOpen ? 'Open orders' : "Today's orders";
  if (shown.length === 0) {
    return `<b>${title}</b>\n${onlyOpen ? 'No open orders.' : 'No orders today.'}`;
  }
  const open = orders.filter((o) => o.state === 'open').length;
  const summary = onlyOpen ? '' : ` · ${open} open`;
  return [
    `<b>${title}</b> (${shown.length}${summary})`,
    ...shown.map(orderLine),
  ].join('\n');
}

export function renderPlaceResult(
  result: PlaceOrderResult,
  request: PlaceOrderRequest,
): string {
  if (result.outcome === 'unknown') {
    return [
      `⚠️ Could not confirm ${describeRequest(request)}.`,
      escapeHtml(result.detail),
      'It may or may not have reached the broker: check /orders before you send it again.',
    ].join('\n');
  }
  // "Submitted", never "placed" or "filled": the broker only received it.
  // Fills and rejections follow as alerts.
  const status =
    result.order !== null ? ` · ${escapeHtml(result.order.status)}` : '';
  return [
    `📨 Order <code>${escapeHtml(result.orderId)}</code> submitted: ${describeRequest(request)}${status}`,
    'Fills and rejections will follow here.',
  ].join('\n');
}

export function renderCancelResult(result: CancelResult): string {
  const line = result.order !== null ? `\n${orderLine(result.order)}` : '';
  if (result.outcome === 'already-closed') {
    return `ℹ️ Order <code>${escapeHtml(result.orderId)}</code> was already closed; nothing to cancel.${line}`;
  }
  return `🚫 Cancel sent for order <code>${escapeHtml(result.orderId)}</code>.${line}`;
}

function section(title: string, lines: string[]): string[] {
  return lines.length === 0 ? [] : ['', `<b>${title}</b>`, ...lines];
}

export function renderPanicReport(report: PanicReport): string {
  const lines = [
    '🛑 <b>Panic</b>: trading is halted.',
    `Open orders found: ${report.openBefore}. Cancelled ${report.cancelled.length}, already closed ${report.alreadyClosed.length}, failed ${report.failed.length}.`,
    ...section(
      'Cancelled',
      report.cancelled.map((o) => `• ${orderLine(o)}`),
    ),
    ...section(
      'Already closed (filled or cancelled first)',
      report.alreadyClosed.map((o) => `• ${orderLine(o)}`),
    ),
    ...section(
      'Failed',
      report.failed.map(
        (f) => `• ${orderLine(f.order)}\n    reason: ${escapeHtml(f.reason)}`,
      ),
    ),
    ...section(
      'Still open',
      report.stillOpen.map((o) => `• ${orderLine(o)}`),
    ),
    '',
  ];
  if (!report.verified) {
    lines.push(
      '⚠️ Could not read the order book again afterwards: check /orders.',
    );
  } else if (report.stillOpen.length === 0) {
    lines.push('✅ Nothing is left open.');
  }
  if (report.failed.length > 0 || report.stillOpen.length > 0) {
    lines.push('Send /panic again to retry what is left.');
  }
  lines.push('New orders stay blocked until an admin sends /resume.');
  return lines.join('\n');
}
