/**
 * Delays between retries of an idempotent call: exponential from `baseMs`,
 * capped, with "equal jitter" (half fixed, half random) so that workers
 * that failed together do not retry together.
 */

export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  /** A `Retry-After` longer than this is not waited for; default 10 s. */
  maxRetryAfterMs?: number;
  random?: () => number;
}

/**
 * @param retry 0 for the first retry.
 * @returns milliseconds to wait, or `undefined` when the broker asked for
 *   a longer pause than a caller should sit through.
 */
export function backoffDelay(
  retry: number,
  retryAfterMs: number | undefined,
  options: BackoffOptions = {},
): number | undefined {
  const base = options.baseMs ?? 250;
  const cap = options.capMs ?? 4_000;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(cap, base * 2 ** retry);
  const delay = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  if (retryAfterMs === undefined) return delay;
  if (retryAfterMs > (options.maxRetryAfterMs ?? 10_000)) return undefined;
  return Math.max(delay, retryAfterMs);
}
