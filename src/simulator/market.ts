import { listInstruments, type Instrument } from './instruments.ts';
import type { Random } from './random.ts';

/** One listing's prices for the current trading day, in rupees. */
export interface PriceState {
  ltp: number;
  open: number;
  high: number;
  low: number;
  /** Previous session's close; quotes report it as `ohlc.close`. */
  close: number;
}

/**
 * Per-tick deviation of the random walk: 0.03 % a step, which over a
 * 6¼-hour session of one-second ticks gives a day range of a few percent.
 */
const STEP_VOLATILITY = 0.0003;
/** Deviation of the overnight gap between one close and the next open. */
const GAP_VOLATILITY = 0.005;

/**
 * Prices of every listing. A company's NSE and BSE listings take the same
 * step, so the two stay close, but either can be set on its own.
 */
export class Market {
  readonly instruments: readonly Instrument[];
  private readonly byKey = new Map<string, Instrument>();
  private readonly prices = new Map<string, PriceState>();

  constructor(private readonly random: Random) {
    this.instruments = listInstruments();
    for (const instrument of this.instruments) {
      this.byKey.set(instrument.key, instrument);
      const p = instrument.company.price;
      this.prices.set(instrument.key, {
        ltp: p,
        open: p,
        high: p,
        low: p,
        close: p,
      });
    }
    // Day one opens with a gap too, so quotes show a change from close.
    this.rollDay();
  }

  /** `NSE:M&M`; the exchange and symbol are matched case-insensitively. */
  find(key: string): Instrument | undefined {
    return this.byKey.get(key.trim().toUpperCase());
  }

  findListing(exchange: string, symbol: string): Instrument | undefined {
    return this.find(`${exchange}:${symbol}`);
  }

  state(instrument: Instrument): PriceState {
    const state = this.prices.get(instrument.key);
    // Every listing gets a state in the constructor.
    if (state === undefined) throw new Error(`no price: ${instrument.key}`);
    return state;
  }

  ltp(instrument: Instrument): number {
    return this.state(instrument).ltp;
  }

  /** Sets the last price (rounded to the tick) and extends the day range. */
  setPrice(instrument: Instrument, price: number): void {
    const state = this.state(instrument);
    const ltp = roundToTick(price, instrument.tickSize);
    state.ltp = ltp;
    state.high = Math.max(state.high, ltp);
    state.low = Math.min(state.low, ltp);
  }

  /** Puts back a listing's saved day prices, as they were. */
  restorePrice(instrument: Instrument, saved: PriceState): void {
    Object.assign(this.state(instrument), {
      ltp: saved.ltp,
      open: saved.open,
      high: saved.high,
      low: saved.low,
      close: saved.close,
    });
  }

  /** One random-walk step for every company; returns the moved listings. */
  step(): Instrument[] {
    const moves = new Map<string, number>();
    for (const instrument of this.instruments) {
      const name = instrument.company.symbol;
      let move = moves.get(name);
      if (move === undefined) {
        move = Math.exp(STEP_VOLATILITY * this.random.normal());
        moves.set(name, move);
      }
      this.setPrice(instrument, this.ltp(instrument) * move);
    }
    return [...this.instruments];
  }

  /** A new session: today's last price becomes the close; open with a gap. */
  rollDay(): void {
    for (const instrument of this.instruments) {
      const state = this.state(instrument);
      const gap = Math.exp(GAP_VOLATILITY * this.random.normal());
      const open = roundToTick(state.ltp * gap, instrument.tickSize);
      state.close = state.ltp;
      state.open = open;
      state.high = open;
      state.low = open;
      state.ltp = open;
    }
  }
}

/** Nearest multiple of the tick, never below one tick; 2-decimal clean. */
export function roundToTick(price: number, tickSize: number): number {
  const ticks = Math.max(1, Math.round(price / tickSize));
  return Math.round(ticks * tickSize * 100) / 100;
}

/** Whether `price` sits on the tick grid (within float noise). */
export function isOnTick(price: number, tickSize: number): boolean {
  const ticks = price / tickSize;
  return Math.abs(ticks - Math.round(ticks)) < 1e-6;
}
