/**
 * India Standard Time for the simulator. IST is UTC+05:30 all year (no
 * daylight saving), so plain arithmetic on epoch milliseconds is exact.
 * Every function takes the epoch ms of the injected clock, never Date.now.
 */

const IST_OFFSET_MS = (5 * 60 + 30) * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface IstParts {
  year: number;
  /** 1-12. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

export function toIstParts(epochMs: number): IstParts {
  const d = new Date(epochMs + IST_OFFSET_MS);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `2025-02-06`: the IST calendar day, also used as the trading-day key. */
export function formatIstDate(epochMs: number): string {
  const p = toIstParts(epochMs);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** `30-09-2024 15:45:46`, the order book's timestamp format. */
export function formatDmyTime(epochMs: number): string {
  const p = toIstParts(epochMs);
  return `${pad(p.day)}-${pad(p.month)}-${p.year} ${formatClock(p)}`;
}

/** `2024-02-14 14:48:23`, the trade history's and login's format. */
export function formatYmdTime(epochMs: number): string {
  return `${formatIstDate(epochMs)} ${formatClock(toIstParts(epochMs))}`;
}

/** `23-01-2025 02:55:55 PM`, the order details' 12-hour format. */
export function formatDmy12h(epochMs: number): string {
  const p = toIstParts(epochMs);
  const half = p.hour < 12 ? 'AM' : 'PM';
  const hour12 = p.hour % 12 === 0 ? 12 : p.hour % 12;
  return (
    `${pad(p.day)}-${pad(p.month)}-${p.year} ` +
    `${pad(hour12)}:${pad(p.minute)}:${pad(p.second)} ${half}`
  );
}

/** `14:48:23`. */
export function formatIstClock(epochMs: number): string {
  return formatClock(toIstParts(epochMs));
}

/** `250206` (yymmdd), used inside order ids. */
export function formatYymmdd(epochMs: number): string {
  const p = toIstParts(epochMs);
  return `${pad(p.year % 100)}${pad(p.month)}${pad(p.day)}`;
}

/** Epoch ms of the next 00:00 IST strictly after `epochMs`. */
export function nextIstMidnight(epochMs: number): number {
  const istDayStart =
    Math.floor((epochMs + IST_OFFSET_MS) / DAY_MS) * DAY_MS - IST_OFFSET_MS;
  return istDayStart + DAY_MS;
}

/** NSE/BSE cash session: 09:15 to 15:30 IST, Monday to Friday. */
export function isMarketOpen(epochMs: number): boolean {
  const p = toIstParts(epochMs);
  if (p.weekday === 0 || p.weekday === 6) return false;
  const minutes = p.hour * 60 + p.minute;
  return minutes >= 9 * 60 + 15 && minutes < 15 * 60 + 30;
}

function formatClock(p: IstParts): string {
  return `${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}
