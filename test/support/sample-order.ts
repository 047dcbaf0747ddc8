import type { Order } from '../../src/mstock/types.ts';

/** An open 5-share INFY limit buy; tests override what they look at. */
export function sampleOrder(overrides: Partial<Order> = {}): Order {
  return {
    orderId: '1161231234567',
    exchange: 'NSE',
    symbol: 'INFY',
    side: 'BUY',
    orderType: 'LIMIT',
    product: 'CNC',
    quantity: 5,
    filledQuantity: 0,
    pendingQuantity: 5,
    price: 1500,
    triggerPrice: null,
    averagePrice: null,
    status: 'Pending',
    state: 'open',
    statusMessage: null,
    tag: null,
    placedAt: '03-Nov-2026 10:15:02',
    ...overrides,
  };
}
