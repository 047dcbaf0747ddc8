/**
 * mStock writes times as IST wall-clock text without an offset, in several
 * shapes: `30-09-2024 15:45:46`, `2025-02-06 07:45:26`,
 * `23-01-2025 02:55:55 PM`, or only `14:48:23`. Reconciling an order by
 * its time needs them as epoch ms.
 */

/** India has no daylight saving: IST is always UTC+05:30. */
const IST_OFFSET_MS = (5 * 60 + 30) * 60_000;

const DATE_TIME =
  /^(\d{1,4})[-/](\d{1,2})[-/](\d{1,4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*([AaPp][Mm])?$/;
const TIME_ONLY = /^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?$/;

/**
 * @param now epoch ms; gives the date for a time-only text.
 * @returns epoch ms, or null when the text is not a time we can read.
 */
export function parseBrokerTime(
  text: string | null | undefined,
  now: number,
): number | null {
  const value = text?.trim() ?? '';
  if (value === '') return null;

  const full = DATE_TIME.exec(value);
  if (full !== null) {
    const [, a = '', b = '', c = '', h = '', mi = '', s, ampm] = full;
    // Year first (2025-02-06) or last (30-09-2024).
    const [year, month, day] =
      a.length === 4 ? [+a, +b, +c] : c.length === 4 ? [+c, +b, +a] : [];
    if (year === undefined || month === undefined || day === undefined) {
      return null;
    }
    return istToEpoch(year, month, day, hour(+h, ampm), +mi, +(s ?? 0));
  }

  const time = TIME_ONLY.exec(value);
  if (time !== null) {
    const [, h = '', mi = '', s, ampm] = time;
    const today = new Date(now + IST_OFFSET_MS);
    return istToEpoch(
      today.getUTCFullYear(),
      today.getUTCMonth() + 1,
      today.getUTCDate(),
      hour(+h, ampm),
      +mi,
      +(s ?? 0),
    );
  }

  // Text that states its own offset (candles: `2024-01-01T09:15:00+05`).
  if (/[+-]\d{2}(:?\d{2})?$|Z$/.test(value)) {
    const parsed = Date.parse(value.replace(/([+-]\d{2})$/, '$1:00'));
    return Number.isNaN(parsed) ? null : parsed;
  }
  return null;
}

function hour(h: number, ampm: string | undefined): number {
  if (ampm === undefined) return h;
  const pm = ampm.toLowerCase() === 'pm';
  return (h % 12) + (pm ? 12 : 0);
}

function istToEpoch(
  year: number,
  month: number,
  day: number,
  h: number,
  mi: number,
  s: number,
): number | null {
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  if (h > 23 || mi > 59 || s > 59) return null;
  return Date.UTC(year, month - 1, day, h, mi, s) - IST_OFFSET_MS;
}
