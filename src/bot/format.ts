/**
 * Pure helpers that turn values into text for Telegram's HTML parse mode.
 * Every dynamic string goes through {@link escapeHtml}; numbers come out
 * in Indian grouping (1,23,456.50) and never as NaN: anything that is not
 * a finite number prints as "n/a".
 */

export const NOT_AVAILABLE = 'n/a';

/** The Unicode minus: reads as a sign, never as a hyphen in a symbol. */
const MINUS = '\u2212';

/**
 * Escapes a value for HTML text and attribute positions. Telegram only
 * needs `&`, `<` and `>`; `"` is escaped too so the same helper is safe
 * inside `href="…"`.
 */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** Reverses {@link escapeHtml} and removes tags: what the user would see. */
export function htmlToPlain(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#(\d+);/g, (_m, code: string) =>
      String.fromCodePoint(Number(code)),
    )
    .replace(/&#x([0-9a-f]+);/gi, (_m, code: string) =>
      String.fromCodePoint(parseInt(code, 16)),
    )
    .replace(/&amp;/g, '&');
}

/** `1234567` → `12,34,567`: the last three digits, then pairs. */
export function groupIndian(digits: string): string {
  if (digits.length <= 3) return digits;
  const last3 = digits.slice(-3);
  let rest = digits.slice(0, -3);
  const pairs: string[] = [];
  while (rest.length > 2) {
    pairs.unshift(rest.slice(-2));
    rest = rest.slice(0, -2);
  }
  if (rest !== '') pairs.unshift(rest);
  return `${pairs.join(',')},${last3}`;
}

function isNumber(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function unsigned(value: number, decimals: number): string {
  const fixed = Math.abs(value).toFixed(decimals);
  const [whole = '0', fraction] = fixed.split('.');
  const grouped = groupIndian(whole);
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

function isZeroAt(value: number, decimals: number): boolean {
  return Number(Math.abs(value).toFixed(decimals)) === 0;
}

export interface NumberStyle {
  /** Digits after the point; default 2. */
  decimals?: number;
  /** Show `+` on positive values (P&L, change). */
  signed?: boolean;
}

/** `-1234.5` → `−1,234.50`; null, NaN or Infinity → `n/a`. */
export function formatNumber(
  value: number | null | undefined,
  style: NumberStyle = {},
): string {
  if (!isNumber(value)) return NOT_AVAILABLE;
  const decimals = style.decimals ?? 2;
  const body = unsigned(value, decimals);
  if (isZeroAt(value, decimals)) return body;
  if (value < 0) return `${MINUS}${body}`;
  return style.signed === true ? `+${body}` : body;
}

/** Rupees: `₹1,23,456.50`, `−₹12.50`, `+₹4.00` when signed. */
export function formatMoney(
  value: number | null | undefined,
  style: NumberStyle = {},
): string {
  if (!isNumber(value)) return NOT_AVAILABLE;
  const decimals = style.decimals ?? 2;
  const body = `₹${unsigned(value, decimals)}`;
  if (isZeroAt(value, decimals)) return body;
  if (value < 0) return `${MINUS}${body}`;
  return style.signed === true ? `+${body}` : body;
}

/** Share counts: whole numbers, grouped; `n/a` when unknown. */
export function formatQty(value: number | null | undefined): string {
  return formatNumber(value, { decimals: 0 });
}

/** `0.8234` → `+0.82%` (the value is already a percentage). */
export function formatPercent(value: number | null | undefined): string {
  if (!isNumber(value)) return NOT_AVAILABLE;
  return `${formatNumber(value, { decimals: 2, signed: true })}%`;
}

const IST = 'Asia/Kolkata';

const timeFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: IST,
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

const dateTimeFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: IST,
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});

/** Epoch ms → `14:05:09 IST`. */
export function formatIstTime(epochMs: number): string {
  return `${timeFormat.format(epochMs)} IST`;
}

/** Epoch ms → `3 Nov, 14:05 IST`. */
export function formatIstDateTime(epochMs: number): string {
  return `${dateTimeFormat.format(epochMs)} IST`;
}

/** A span in ms → `2 h 5 min`, `45 s`. Negative spans print as `0 s`. */
export function formatDuration(ms: number): string {
  const totalSeconds = Math.max(0, Math.round(ms / 1000));
  if (totalSeconds < 60) return `${totalSeconds} s`;
  const totalMinutes = Math.floor(totalSeconds / 60);
  if (totalMinutes < 60) return `${totalMinutes} min`;
  const hours = Math.floor(totalMinutes / 60);
  const minutes = totalMinutes % 60;
  return minutes === 0 ? `${hours} h` : `${hours} h ${minutes} min`;
}

const clockFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: IST,
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/**
 * When something good for the day ends, as `15:35 IST`. An end at
 * midnight (the broker session's) reads as `23:59 IST`, the day it
 * belongs to, never as `00:00`.
 */
export function formatIstUntil(epochMs: number): string {
  const clock = clockFormat.format(epochMs);
  // IST is UTC+05:30, so its minutes start where UTC minutes do.
  const midnight = clock === '00:00' && epochMs % 60_000 === 0;
  return `${midnight ? '23:59' : clock} IST`;
}

/**
 * The order book's product words as users type them (INTRADAY is MIS,
 * DELIVERY is CNC), so tickets, /orders and /positions agree. Other words
 * (MARGIN, MTF, CARRYFORWARD) are kept as the broker sent them.
 */
export function displayProduct(word: string): string {
  const upper = word.trim().toUpperCase();
  if (upper === 'INTRADAY') return 'MIS';
  if (upper === 'DELIVERY') return 'CNC';
  return word.trim();
}

/**
 * A message that quotes the broker, with the doubled full stop left when
 * a quoted sentence gets one more ("…on exchange..") made single. An
 * ellipsis ("...") is left alone.
 */
export function tidyBrokerText(text: string): string {
  return text.trim().replace(/([^.])\.\.(?=\s|$)/g, '$1.');
}
