import type { Quote } from '../mstock/types.ts';
import {
  escapeHtml,
  formatMoney,
  formatNumber,
  formatPercent,
  NOT_AVAILABLE,
} from './format.ts';

/** Replies for /quote and /ltp, HTML. */

/** Change against the previous close, or null when either is unknown. */
export function quoteChange(
  quote: Quote,
): { absolute: number; percent: number | null } | null {
  if (quote.lastPrice === null || quote.close === null) return null;
  const absolute = quote.lastPrice - quote.close;
  const percent = quote.close !== 0 ? (absolute / quote.close) * 100 : null;
  return { absolute, percent };
}

function renderQuote(quote: Quote): string {
  const name = `<b>${escapeHtml(`${quote.exchange}:${quote.symbol}`)}</b>`;
  if (!quote.found) {
    return `${name}  not found: check the symbol (try /quote NSE:SYMBOL or BSE:SYMBOL)`;
  }
  const change = quoteChange(quote);
  const arrow =
    change === null || change.absolute === 0
      ? ''
      : change.absolute > 0
        ? '▲ '
        : '▼ ';
  const changeText =
    change === null
      ? `change ${NOT_AVAILABLE}`
      : `${arrow}${formatNumber(change.absolute, { signed: true })} (${formatPercent(change.percent)})`;
  return [
    `${name}  ${formatMoney(quote.lastPrice)}  ${changeText}`,
    `O ${formatNumber(quote.open)} · H ${formatNumber(quote.high)} · L ${formatNumber(quote.low)} · prev C ${formatNumber(quote.close)}`,
  ].join('\n');
}

export function renderQuotes(quotes: Quote[]): string {
  if (quotes.length === 0) return 'No quotes came back.';
  return quotes.map(renderQuote).join('\n\n');
}
