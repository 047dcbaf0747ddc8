import { z } from 'zod';

/**
 * Lenient readers for the scalar spellings mStock uses on the wire. The
 * same field arrives as a number, a numeric string, a string with
 * thousands separators, or one of several ways of saying "nothing"
 * (Python's stringified `None` leaks out of the broker's SDK mocks and
 * some builds). Each reader turns them into one JavaScript value and never
 * into NaN.
 */

/**
 * Spellings of "no value" in a numeric field, compared after trimming and
 * case-insensitively. Text fields fold fewer words: `NA` could be a name.
 */
const NULL_WORDS = new Set(['', '-', '--', 'none', 'null', 'nan', 'na', 'n/a']);
const NULL_TEXT = new Set(['', 'none', 'null']);

/** Plain decimal or exponent form, after separators are removed. */
const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export function isNullWord(value: string): boolean {
  return NULL_WORDS.has(value.trim().toLowerCase());
}

/**
 * `2945.5`, `"2945.50"`, `"2,945.50"`, `" 1,23,456 "` → a number;
 * `null`, `""`, `"-"`, `"None"`, NaN, ±Infinity → `null`;
 * anything else (`"abc"`, `"12abc"`, an object) → `undefined` (invalid).
 * `parseFloat("2,945.50")` is 2 and `Number("2,945.50")` is NaN: neither
 * is used on the raw text.
 */
export function readNumber(value: unknown): number | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string') return undefined;
  if (isNullWord(value)) return null;
  const compact = value.replace(/[\s,]/g, '');
  if (!NUMERIC.test(compact)) return undefined;
  const n = Number(compact);
  return Number.isFinite(n) ? n : null;
}

/** `true`, `"true"`, `"True"`, `1`, `"1"`, `"Y"` and their opposites. */
export function readBoolean(value: unknown): boolean | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (value === 1) return true;
    if (value === 0) return false;
    return undefined;
  }
  if (typeof value !== 'string') return undefined;
  if (isNullWord(value)) return null;
  const word = value.trim().toLowerCase();
  if (['true', '1', 'y', 'yes'].includes(word)) return true;
  if (['false', '0', 'n', 'no'].includes(word)) return false;
  return undefined;
}

/**
 * Text with the null spellings folded to `null` and surrounding space
 * trimmed. Numbers become their decimal text (order ids sometimes arrive
 * as JSON numbers); an empty array (`"tag": []`) counts as nothing and a
 * one-string array as that string.
 */
export function readText(value: unknown): string | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') {
    return Number.isFinite(value) ? String(value) : null;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return null;
    return value.length === 1 ? readText(value[0]) : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return NULL_TEXT.has(text.toLowerCase()) ? null : text;
}

function lenient<T>(
  read: (v: unknown) => T | null | undefined,
  what: string,
): z.ZodType<T | null> {
  // `.optional()` so a missing key reads as null instead of failing.
  return z
    .unknown()
    .optional()
    .transform((value, ctx): T | null => {
      const out = read(value);
      if (out === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected ${what}` });
        return z.NEVER;
      }
      return out;
    });
}

/** A number or `null`; a missing key reads as `null` too. */
export const lenientNumber = lenient(readNumber, 'a number');
export const lenientBoolean = lenient(readBoolean, 'a boolean');
export const lenientText = lenient(readText, 'text');

/** Text that must be present, e.g. an order id. */
export const requiredText = lenientText.pipe(
  z.string({ message: 'expected a value' }).min(1),
);

/** A number that must be present, e.g. a fill price. */
export const requiredNumber = lenientNumber.pipe(
  z.number({ message: 'expected a number' }),
);

/** Quantities: a missing quantity counts as none. */
export const quantity = lenientNumber.transform((n) => n ?? 0);
