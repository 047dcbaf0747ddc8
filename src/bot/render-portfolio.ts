import type { Funds, Holding, Position } from '../mstock/types.ts';
import {
  displayProduct,
  escapeHtml,
  formatMoney,
  formatNumber,
  formatPercent,
  formatQty,
} from './format.ts';

/** Replies for /funds, /holdings and /positions, HTML. */

export function renderFunds(funds: Funds): string {
  return [
    '<b>Funds</b>',
    `Available cash: ${formatMoney(funds.availableCash)}`,
    `Used margin: ${formatMoney(funds.usedMargin)}`,
    `Opening limit: ${formatMoney(funds.openingLimit)}`,
  ].join('\n');
}

export interface HoldingPnl {
  invested: number;
  value: number;
  pnl: number;
}

/**
 * P&L from the average price and the last price. Null when either is
 * missing: an unknown price must not count as zero in a total.
 */
export function holdingPnl(holding: Holding): HoldingPnl | null {
  const { averagePrice, lastPrice, quantity } = holding;
  if (averagePrice === null || lastPrice === null) return null;
  const invested = averagePrice * quantity;
  const value = lastPrice * quantity;
  const pnl = value - invested;
  if (![invested, value, pnl].every(Number.isFinite)) return null;
  return { invested, value, pnl };
}

function percentOf(part: number, whole: number): number | null {
  return whole !== 0 ? (part / whole) * 100 : null;
}

export function renderHoldings(holdings: Holding[]): string {
  if (holdings.length === 0) return '<b>Holdings</b>\nNo holdings.';
  const lines = [`<b>Holdings</b> (${holdings.length})`];
  const total: HoldingPnl = { invested: 0, value: 0, pnl: 0 };
  let unpriced = 0;
  for (const holding of holdings) {
    const result = holdingPnl(holding);
    const pnlText =
      result === null
        ? 'P&amp;L n/a'
        : `P&amp;L ${formatMoney(result.pnl, { signed: true })} (${formatPercent(percentOf(result.pnl, result.invested))})`;
    lines.push(
      `<b>${escapeHtml(holding.name)}</b>  ${formatQty(holding.quantity)} × ${formatMoney(holding.averagePrice)} → ${formatMoney(holding.lastPrice)}  ${pnlText}`,
    );
    if (result === null) {
      unpriced++;
    } else {
      total.invested += result.invested;
      total.value += result.value;
      total.pnl += result.pnl;
    }
  }
  lines.push(
    '',
    `<b>Total</b>: invested ${formatMoney(total.invested)} · value ${formatMoney(total.value)} · P&amp;L ${formatMoney(total.pnl, { signed: true })} (${formatPercent(percentOf(total.pnl, total.invested))})`,
  );
  if (unpriced > 0) {
    lines.push(
      `${unpriced} holding${unpriced === 1 ? '' : 's'} without a price left out of the total.`,
    );
  }
  return lines.join('\n');
}

export function renderPositions(positions: Position[]): string {
  if (positions.length === 0) return '<b>Positions</b>\nNo positions today.';
  const lines = [`<b>Positions</b> (${positions.length})`];
  let total = 0;
  let unknown = 0;
  for (const p of positions) {
    const product =
      p.product.trim() !== ''
        ? ` ${escapeHtml(displayProduct(p.product))}`
        : '';
    const name = `<b>${escapeHtml(`${p.exchange}:${p.symbol}`)}</b>${product}`;
    const pnl = `P&amp;L ${formatMoney(p.pnl, { signed: true })}`;
    // A position squared off today keeps only its booked P&L; its average
    // and last price say nothing any more.
    lines.push(
      p.quantity === 0
        ? `${name}  closed · realised ${pnl}`
        : `${name}  ${formatNumber(p.quantity, { decimals: 0, signed: true })} @ ${formatMoney(p.averagePrice)}  LTP ${formatMoney(p.lastPrice)}  ${pnl}`,
    );
    if (p.pnl !== null && Number.isFinite(p.pnl)) total += p.pnl;
    else unknown++;
  }
  lines.push(
    '',
    `<b>Total P&amp;L</b>: ${formatMoney(total, { signed: true })}`,
  );
  if (unknown > 0) {
    lines.push(`${unknown} without a P&amp;L left out of the total.`);
  }
  return lines.join('\n');
}
