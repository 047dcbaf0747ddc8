import type { Instrument } from './instruments.ts';

/**
 * The simulator's order and trade records. Field values use the broker's
 * vocabulary (title-case statuses, `SL-M`), so the wire layer only
 * renames and formats.
 */

export const ORDER_TYPES = ['MARKET', 'LIMIT', 'SL', 'SL-M'] as const;
export type OrderType = (typeof ORDER_TYPES)[number];

export const PRODUCTS = ['CNC', 'MIS', 'NRML', 'MTF'] as const;
export type ProductCode = (typeof PRODUCTS)[number];

export const VALIDITIES = ['DAY', 'IOC'] as const;
export type Validity = (typeof VALIDITIES)[number];

export type Side = 'BUY' | 'SELL';

/** What mStock's books show; `Triggered` = a stop fired, still working. */
export const ORDER_STATUSES = [
  'Pending',
  'Triggered',
  'Traded',
  'Cancelled',
  'Rejected',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export interface SimOrder {
  /** 16-digit numeric string (see ids.ts). */
  orderId: string;
  /** 16 digits once accepted; `"0"` for an order RMS rejected. */
  exchangeOrderId: string;
  instrument: Instrument;
  side: Side;
  orderType: OrderType;
  product: ProductCode;
  validity: Validity;
  quantity: number;
  disclosedQuantity: number;
  /** Limit price in rupees; 0 for MARKET and SL-M. */
  price: number;
  triggerPrice: number;
  filledQuantity: number;
  cancelledQuantity: number;
  /** Volume-weighted fill price; 0 before the first fill. */
  averagePrice: number;
  status: OrderStatus;
  statusMessage: string;
  tag: string | null;
  placedAt: number;
  updatedAt: number;
  modified: boolean;
  /** A stop order whose trigger was crossed. */
  triggered: boolean;
  /** Set after a partial fill, so the next crossing fills the rest. */
  partlyFilled: boolean;
  /** Snapshots after each change, newest last, for `order/details`. */
  history: OrderSnapshot[];
}

/** The fields that change over an order's life, at one moment. */
export interface OrderSnapshot {
  at: number;
  status: OrderStatus;
  statusMessage: string;
  orderType: OrderType;
  quantity: number;
  price: number;
  triggerPrice: number;
  filledQuantity: number;
  pendingQuantity: number;
  cancelledQuantity: number;
  averagePrice: number;
}

export interface SimTrade {
  /** 13-digit numeric string (see ids.ts). */
  tradeId: string;
  order: SimOrder;
  quantity: number;
  /** Fill price in rupees. */
  price: number;
  at: number;
}

export function isOpen(order: SimOrder): boolean {
  return order.status === 'Pending' || order.status === 'Triggered';
}

/** Quantity still working at the exchange. */
export function pendingQuantity(order: SimOrder): number {
  return isOpen(order) ? order.quantity - order.filledQuantity : 0;
}

export function isDelivery(product: ProductCode): boolean {
  return product !== 'MIS';
}

/** The order book says INTRADAY for MIS and MARGIN for NRML. */
export function bookProductWord(product: ProductCode): string {
  if (product === 'MIS') return 'INTRADAY';
  if (product === 'NRML') return 'MARGIN';
  return product;
}

export function snapshot(order: SimOrder): OrderSnapshot {
  return {
    at: order.updatedAt,
    status: order.status,
    statusMessage: order.statusMessage,
    orderType: order.orderType,
    quantity: order.quantity,
    price: order.price,
    triggerPrice: order.triggerPrice,
    filledQuantity: order.filledQuantity,
    pendingQuantity: pendingQuantity(order),
    cancelledQuantity: order.cancelledQuantity,
    averagePrice: order.averagePrice,
  };
}
