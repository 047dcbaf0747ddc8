import type { Order, PlaceOrderRequest } from '../mstock/types.ts';
import type {
  CancelResult,
  PanicReport,
  PlaceOrderResult,
} from '../queue/jobs.ts';
import {
  displayProduct,
  escapeHtml,
  formatMoney,
  formatQty,
  tidyBrokerText,
} from './format.ts';

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
  return `${order.side} ${formatQty(order.quantity)} ${escapeHtml(`${order.exchange}:${order.symbol}`)} @ ${price} (${escapeHtml(displayProduct(order.product))}) · ${escapeHtml(order.status)}, ${formatQty(order.filledQuantity)}/${formatQty(order.quantity)} filled`;
}

/**
 * Status messages that only restate the status (the broker fills the field
 * for every order: CONFIRMED on entry, TRADE CONFIRMED on a fill, …).
 * A user's own cancel is no news either.
 */
const ROUTINE_MESSAGE =
  /^(?:(?:TRADE )?CONFIRMED|UNSOLICIT?ATED INSERT|MODIFIED|STOPLOSS TRIGGER|CANCELL?ED(?: BY USER)?|REJECTED|NONE|NULL)$/i;

/**
 * Why a rejected or cancelled order ended (`RMS:…`, `EXCH:…`), or null
 * when the broker's message adds nothing to the status.
 */
export function closingReason(order: Order): string | null {
  if (order.state !== 'rejected' && order.state !== 'cancelled') return null;
  const message = order.statusMessage?.trim() ?? '';
  if (message === '' || ROUTINE_MESSAGE.test(message)) return null;
  return tidyBrokerText(message);
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
  const reason = closingReason(order);
  const reasonLine = reason !== null ? `\n    ${escapeHtml(reason)}` : '';
  return `<code>${escapeHtml(order.orderId)}</code> ${order.side} ${formatQty(order.quantity)} <b>${escapeHtml(`${order.exchange}:${order.symbol}`)}</b> @ ${price} ${escapeHtml(displayProduct(order.product))} · ${escapeHtml(order.status)} ${formatQty(order.filledQuantity)}/${formatQty(order.quantity)}${average}${reasonLine}`;
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
      escapeHtml(tidyBrokerText(result.detail)),
      'It may or may not have reached the broker: check /orders before you send it again.',
    ].join('\n');
  }
  // "Submitted", never "placed" or "filled": the broker only received it.
  const { order } = result;
  const lines = [
    `📨 Order <code>${escapeHtml(result.orderId)}</code> submitted: ${describeRequest(request)}${order !== null ? ` · ${escapeHtml(order.status)}` : ''}`,
  ];
  const reason = order !== null ? closingReason(order) : null;
  if (reason !== null) lines.push(`Reason: ${escapeHtml(reason)}`);
  // Fills and rejections arrive as alerts; promise them only while the
  // order can still change (no book line yet counts as open).
  if (order === null || order.state === 'open' || order.state === 'unknown') {
    lines.push('Fills and rejections will follow here.');
  }
  return lines.join('\n');
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
    report.usedCancelAll === true
      ? "The order book could not be read, so every open order was cancelled at once with mStock's cancel-all (it reports no count)."
      : `Open orders found: ${report.openBefore}. Cancelled ${report.cancelled.length}, already closed ${report.alreadyClosed.length}, failed ${report.failed.length}.`,
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
        (f) =>
          `• ${orderLine(f.order)}\n    reason: ${escapeHtml(tidyBrokerText(f.reason))}`,
      ),
    ),
    ...section(
      'Still open',
      report.stillOpen.map((o) => `• ${orderLine(o)}`),
    ),
    '',
  ];
  if ((report.unreadableRows ?? 0) > 0) {
    lines.push(
      `⚠️ ${report.unreadableRows} row(s) of the order book could not be read; orders in them were not cancelled. Check /orders or the broker's app.`,
    );
  }
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
