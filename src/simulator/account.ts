import type { Company, Instrument } from './instruments.ts';
import type { Market } from './market.ts';
import { isDelivery, type ProductCode, type Side } from './order.ts';

/**
 * Cash, holdings and the day's positions of the paper account.
 *
 * Delivery products (CNC, and NRML/MTF, which equity treats alike) move
 * cash at each fill. MIS moves no cash during the day: an open MIS
 * position blocks its full value (no leverage in paper trading) and its
 * profit or loss is settled into cash when the day ends.
 */

export interface HoldingLot {
  company: Company;
  /** Shares held at the start of the day. */
  quantity: number;
  averagePrice: number;
}

export interface DayPosition {
  instrument: Instrument;
  product: ProductCode;
  buyQuantity: number;
  buyValue: number;
  sellQuantity: number;
  sellValue: number;
}

export class Account {
  /** Ledger balance in rupees. */
  cash: number;
  /** Cash at the start of the day (LIMIT_SOD). */
  openingCash: number;
  /** Keyed by ISIN: NSE and BSE shares of a company are one holding. */
  readonly holdings = new Map<string, HoldingLot>();
  /** Keyed `EXCHANGE:SYMBOL:PRODUCT`. */
  readonly positions = new Map<string, DayPosition>();

  constructor(startingCash: number) {
    this.cash = startingCash;
    this.openingCash = startingCash;
  }

  addHolding(company: Company, quantity: number, averagePrice: number) {
    const lot = this.holdings.get(company.isin);
    if (lot === undefined) {
      this.holdings.set(company.isin, { company, quantity, averagePrice });
      return;
    }
    const total = lot.quantity + quantity;
    lot.averagePrice =
      (lot.quantity * lot.averagePrice + quantity * averagePrice) / total;
    lot.quantity = total;
  }

  recordFill(
    instrument: Instrument,
    product: ProductCode,
    side: Side,
    quantity: number,
    price: number,
  ): void {
    const key = `${instrument.key}:${product}`;
    let position = this.positions.get(key);
    if (position === undefined) {
      position = {
        instrument,
        product,
        buyQuantity: 0,
        buyValue: 0,
        sellQuantity: 0,
        sellValue: 0,
      };
      this.positions.set(key, position);
    }
    const value = quantity * price;
    if (side === 'BUY') {
      position.buyQuantity += quantity;
      position.buyValue += value;
    } else {
      position.sellQuantity += quantity;
      position.sellValue += value;
    }
    if (isDelivery(product)) {
      this.cash += side === 'BUY' ? -value : value;
    }
  }

  /** Net MIS quantity in one listing (negative = short). */
  misNet(instrument: Instrument): number {
    const position = this.positions.get(`${instrument.key}:MIS`);
    return position === undefined ? 0 : netQuantity(position);
  }

  /**
   * Shares of a company that a delivery sell may still use: held at the
   * start of the day plus today's delivery buys minus today's sells.
   */
  deliverySellable(company: Company): number {
    let quantity = this.holdings.get(company.isin)?.quantity ?? 0;
    for (const position of this.positions.values()) {
      if (
        position.instrument.company === company &&
        isDelivery(position.product)
      ) {
        quantity += netQuantity(position);
      }
    }
    return quantity;
  }

  /** Shares sold from a holding today (the holdings' `used_quantity`). */
  deliverySoldToday(company: Company): number {
    let sold = 0;
    for (const position of this.positions.values()) {
      if (
        position.instrument.company === company &&
        isDelivery(position.product)
      ) {
        sold += position.sellQuantity;
      }
    }
    return sold;
  }

  /** Value blocked by open MIS positions, at their opening prices. */
  misMargin(): number {
    let margin = 0;
    for (const position of this.positions.values()) {
      if (position.product !== 'MIS') continue;
      const net = netQuantity(position);
      margin += Math.abs(net) * openingPrice(position);
    }
    return margin;
  }

  /** Profit or loss already booked on MIS round trips today. */
  misRealised(): number {
    let realised = 0;
    for (const position of this.positions.values()) {
      if (position.product !== 'MIS') continue;
      realised += realisedPnl(position);
    }
    return realised;
  }

  /**
   * The day ends: MIS positions are squared off at the last price, the
   * day's delivery trades become holdings, and a new day starts.
   */
  rollDay(market: Market): void {
    for (const position of this.positions.values()) {
      if (position.product === 'MIS') {
        this.cash += dayPnl(position, market.ltp(position.instrument));
        continue;
      }
      const company = position.instrument.company;
      const net = netQuantity(position);
      if (net > 0) {
        this.addHolding(company, net, position.buyValue / position.buyQuantity);
      } else if (net < 0) {
        const lot = this.holdings.get(company.isin);
        if (lot !== undefined) lot.quantity += net;
      }
    }
    for (const [isin, lot] of this.holdings) {
      if (lot.quantity <= 0) this.holdings.delete(isin);
    }
    this.positions.clear();
    this.openingCash = this.cash;
  }
}

export function netQuantity(position: DayPosition): number {
  return position.buyQuantity - position.sellQuantity;
}

export function buyAverage(position: DayPosition): number {
  return position.buyQuantity === 0
    ? 0
    : position.buyValue / position.buyQuantity;
}

export function sellAverage(position: DayPosition): number {
  return position.sellQuantity === 0
    ? 0
    : position.sellValue / position.sellQuantity;
}

/** Average price of the side that is still open. */
export function openingPrice(position: DayPosition): number {
  const net = netQuantity(position);
  if (net > 0) return buyAverage(position);
  if (net < 0) return sellAverage(position);
  return 0;
}

/** Booked P&L on the quantity bought and sold back today. */
export function realisedPnl(position: DayPosition): number {
  const closed = Math.min(position.buyQuantity, position.sellQuantity);
  return closed * (sellAverage(position) - buyAverage(position));
}

/** The whole day's P&L marked at `lastPrice` (the broker's `m2m`). */
export function dayPnl(position: DayPosition, lastPrice: number): number {
  return (
    position.sellValue - position.buyValue + netQuantity(position) * lastPrice
  );
}
