import {
  ORDER_TYPES,
  PRODUCTS,
  VALIDITIES,
  type OrderType,
  type ProductCode,
  type Side,
  type Validity,
} from './order.ts';

/**
 * Reading the form fields of `POST orders/regular` and
 * `PUT orders/regular/{id}`. Every field arrives as a string; anything
 * malformed is refused with a message naming the field and what it takes,
 * before the order book is touched.
 */

export type Field = (name: string) => string | undefined;

export type FormResult<T> =
  { ok: true; value: T } | { ok: false; error: string };

export interface PlaceInput {
  exchange: string;
  tradingsymbol: string;
  side: Side;
  orderType: OrderType;
  quantity: number;
  product: ProductCode;
  validity: Validity;
  price: number;
  triggerPrice: number;
  disclosedQuantity: number;
  tag: string | null;
}

export type ModifyInput = Partial<
  Pick<
    PlaceInput,
    | 'orderType'
    | 'quantity'
    | 'price'
    | 'triggerPrice'
    | 'validity'
    | 'disclosedQuantity'
  >
>;

const EXCHANGES = ['NSE', 'BSE', 'NFO', 'BFO', 'CDS', 'MCX'] as const;
/** The exchanges' freeze limit for one equity order, roughly. */
export const MAX_ORDER_QUANTITY = 100_000;

class FieldError extends Error {}

export function parsePlaceForm(field: Field): FormResult<PlaceInput> {
  try {
    const tradingsymbol = required(field, 'tradingsymbol');
    if (tradingsymbol.length > 50) {
      throw new FieldError('tradingsymbol is too long (50 characters max).');
    }
    const exchange = oneOf(field, 'exchange', EXCHANGES, undefined);
    const side = oneOf(field, 'transaction_type', ['BUY', 'SELL'], undefined);
    const orderType = oneOf(field, 'order_type', ORDER_TYPES, undefined);
    const quantity = quantityField(field, 'quantity');
    if (quantity === undefined) throw missing('quantity');
    const product = oneOf(field, 'product', PRODUCTS, undefined);
    const validity = oneOf(field, 'validity', VALIDITIES, 'DAY');
    const price = priceField(field, 'price') ?? 0;
    const triggerPrice = priceField(field, 'trigger_price') ?? 0;
    const disclosedQuantity = quantityField(field, 'disclosed_quantity', 0);
    const tag = tagField(field);
    const input: PlaceInput = {
      exchange,
      tradingsymbol: tradingsymbol.toUpperCase(),
      side,
      orderType,
      quantity,
      product,
      validity,
      price,
      triggerPrice,
      disclosedQuantity: disclosedQuantity ?? 0,
      tag,
    };
    const problem =
      pricesProblem(orderType, side, price, triggerPrice) ??
      disclosedProblem(input.quantity, input.disclosedQuantity);
    if (problem !== undefined) throw new FieldError(problem);
    return { ok: true, value: input };
  } catch (err) {
    if (err instanceof FieldError) return { ok: false, error: err.message };
    throw err;
  }
}

export function parseModifyForm(field: Field): FormResult<ModifyInput> {
  try {
    const value: ModifyInput = {};
    if (present(field, 'order_type')) {
      value.orderType = oneOf(field, 'order_type', ORDER_TYPES, undefined);
    }
    const quantity = quantityField(field, 'quantity');
    if (quantity !== undefined) value.quantity = quantity;
    const price = priceField(field, 'price');
    if (price !== undefined) value.price = price;
    const triggerPrice = priceField(field, 'trigger_price');
    if (triggerPrice !== undefined) value.triggerPrice = triggerPrice;
    if (present(field, 'validity')) {
      value.validity = oneOf(field, 'validity', VALIDITIES, undefined);
    }
    const disclosed = quantityField(field, 'disclosed_quantity', 0);
    if (disclosed !== undefined) value.disclosedQuantity = disclosed;
    return { ok: true, value };
  } catch (err) {
    if (err instanceof FieldError) return { ok: false, error: err.message };
    throw err;
  }
}

/**
 * Price rules per order type; also used by modify, on the order as it
 * would be after the change.
 */
export function pricesProblem(
  orderType: OrderType,
  side: Side,
  price: number,
  triggerPrice: number,
): string | undefined {
  const needsPrice = orderType === 'LIMIT' || orderType === 'SL';
  const needsTrigger = orderType === 'SL' || orderType === 'SL-M';
  if (needsPrice && price <= 0) {
    return `price is required for ${orderType} orders and must be above 0.`;
  }
  if (!needsPrice && price !== 0) {
    return `price must be 0 for ${orderType} orders.`;
  }
  if (needsTrigger && triggerPrice <= 0) {
    return `trigger_price is required for ${orderType} orders and must be above 0.`;
  }
  if (!needsTrigger && triggerPrice !== 0) {
    return `trigger_price must be 0 for ${orderType} orders.`;
  }
  if (orderType === 'SL' && side === 'BUY' && price < triggerPrice) {
    return 'For a BUY SL order the price cannot be below trigger_price.';
  }
  if (orderType === 'SL' && side === 'SELL' && price > triggerPrice) {
    return 'For a SELL SL order the price cannot be above trigger_price.';
  }
  return undefined;
}

export function disclosedProblem(
  quantity: number,
  disclosedQuantity: number,
): string | undefined {
  return disclosedQuantity > quantity
    ? 'disclosed_quantity cannot be more than quantity.'
    : undefined;
}

function present(field: Field, name: string): boolean {
  const value = field(name);
  return value !== undefined && value.trim() !== '';
}

function missing(name: string): FieldError {
  return new FieldError(`${name} is required.`);
}

function required(field: Field, name: string): string {
  const value = field(name)?.trim();
  if (value === undefined || value === '') throw missing(name);
  return value;
}

function oneOf<T extends string>(
  field: Field,
  name: string,
  allowed: readonly T[],
  fallback: T | undefined,
): T {
  const value = field(name)?.trim();
  if (value === undefined || value === '') {
    if (fallback !== undefined) return fallback;
    throw missing(name);
  }
  if (!(allowed as readonly string[]).includes(value)) {
    throw new FieldError(
      `Invalid ${name} "${clip(value)}". Allowed values are ${allowed.join(', ')}.`,
    );
  }
  return value as T;
}

/** Whole shares, 1 to the freeze limit (0 allowed where `min` says). */
function quantityField(
  field: Field,
  name: string,
  min = 1,
): number | undefined {
  const value = field(name)?.trim();
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,9}$/.test(value)) {
    throw new FieldError(
      `${name} must be a whole number, got "${clip(value)}".`,
    );
  }
  const quantity = Number(value);
  if (quantity < min || quantity > MAX_ORDER_QUANTITY) {
    throw new FieldError(
      `${name} must be between ${min} and ${MAX_ORDER_QUANTITY}.`,
    );
  }
  return quantity;
}

/** Rupees with up to two decimals; `0` and absence both mean none. */
function priceField(field: Field, name: string): number | undefined {
  const value = field(name)?.trim();
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,9}(\.\d{1,4})?$/.test(value)) {
    throw new FieldError(
      `${name} must be a price in rupees such as 1250.50, got "${clip(value)}".`,
    );
  }
  return Number(value);
}

function tagField(field: Field): string | null {
  const value = field('tag')?.trim();
  if (value === undefined || value === '') return null;
  if (!/^[A-Za-z0-9_-]{1,20}$/.test(value)) {
    throw new FieldError('tag must be 1-20 letters, digits, "_" or "-".');
  }
  return value;
}

/** Echoed input is cut short so a huge value cannot bloat the reply. */
function clip(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}
