import type { Order } from '../mstock/types.ts';
import type { AlertEvent, AlertJobData } from '../queue/jobs.ts';
import {
  escapeHtml,
  formatIstTime,
  formatMoney,
  formatQty,
  tidyBrokerText,
} from './format.ts';

/**
 * Alert texts, HTML. The PAPER badge is added by the sender, from the
 * alert's own mode.
 */

function instrument(order: Order): string {
  return `<b>${escapeHtml(`${order.exchange}:${order.symbol}`)}</b>`;
}

function orderRef(order: Order): string {
  return `order <code>${escapeHtml(order.orderId)}</code>`;
}

function averagePrice(order: Order): string {
  return order.averagePrice !== null
    ? ` @ avg ${formatMoney(order.averagePrice)}`
    : '';
}

function renderOrderEvent(
  event: Extract<AlertEvent, { kind: 'order' }>,
): string {
  const { order } = event;
  switch (event.change) {
    case 'filled':
      return `✅ <b>Filled</b>: ${order.side} ${formatQty(order.quantity)} ${instrument(order)}${averagePrice(order)} · ${orderRef(order)}`;
    case 'partial': {
      const added = order.filledQuantity - event.previousFilled;
      return `◐ <b>Partly filled</b>: ${order.side} ${instrument(order)} +${formatQty(added)}, now ${formatQty(order.filledQuantity)} of ${formatQty(order.quantity)}${averagePrice(order)} · ${orderRef(order)}`;
    }
    case 'rejected': {
      const reason =
        order.statusMessage !== null && order.statusMessage.trim() !== ''
          ? escapeHtml(tidyBrokerText(order.statusMessage))
          : 'no reason given by the broker';
      return `❌ <b>Rejected</b>: ${order.side} ${formatQty(order.quantity)} ${instrument(order)} · ${orderRef(order)}\nReason: ${reason}`;
    }
    case 'cancelled': {
      const filled =
        order.filledQuantity > 0
          ? ` (${formatQty(order.filledQuantity)} of ${formatQty(order.quantity)} had filled)`
          : '';
      return `🚫 <b>Cancelled</b>: ${order.side} ${formatQty(order.quantity)} ${instrument(order)} · ${orderRef(order)}${filled}`;
    }
  }
}

function renderBrokerEvent(
  event: Extract<AlertEvent, { kind: 'broker' }>,
): string {
  const detail = event.detail.trim() !== '' ? escapeHtml(event.detail) : '';
  switch (event.change) {
    case 'offline':
      return `🔴 <b>Broker offline</b>${detail !== '' ? `: ${detail}` : ''}\nCommands wait or fail until it is back; you will hear when it is.`;
    case 'online':
      return `🟢 <b>Broker back online</b>${detail !== '' ? `: ${detail}` : ''}`;
    case 'login-failed':
      return `⚠️ <b>Broker login failed</b>${detail !== '' ? `: ${detail}` : ''}\nCheck the MSTOCK_* credentials and the TOTP secret; the worker keeps trying.`;
  }
}

function renderHaltEvent(event: Extract<AlertEvent, { kind: 'halt' }>) {
  return event.change === 'halted'
    ? `🛑 <b>Trading halted</b> by ${event.by}. New orders are blocked until an admin sends /resume.`
    : `▶️ <b>Trading resumed</b> by ${event.by}. New orders are allowed again.`;
}

export function renderAlert(alert: AlertJobData): string {
  const { event } = alert;
  const body =
    event.kind === 'order'
      ? renderOrderEvent(event)
      : event.kind === 'broker'
        ? renderBrokerEvent(event)
        : renderHaltEvent(event);
  return `${body}\n<i>${formatIstTime(alert.at)}</i>`;
}
