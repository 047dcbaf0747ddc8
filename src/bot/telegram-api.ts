import { autoRetry } from '@grammyjs/auto-retry';
import {
  apiThrottler,
  type APIThrottlerOptions,
} from '@grammyjs/transformer-throttler';
import { HttpError, type Api, type Transformer } from 'grammy';

/**
 * Telegram's limits and hiccups, handled once on an `Api` object: the
 * throttler keeps us under the send rates (30/s overall, about 1/s per
 * chat, 20/min per group), auto-retry waits out a 429's `retry_after`
 * and retries 5xx, and a small transformer retries network failures a
 * bounded number of times. Everything is bounded so an alert job or a
 * handler never waits forever: what still fails is thrown to the caller.
 */

export interface ApiSafetyOptions {
  /** Retries of a 429 or 5xx after the first try; default 3. */
  maxRetryAttempts?: number;
  /** Longest flood wait honoured, in seconds; longer ones fail. Default 60. */
  maxDelaySeconds?: number;
  /** Retry Telegram 5xx answers (with a 3 s, 6 s, … backoff); default true. */
  retryServerErrors?: boolean;
  /** Retries of a request that got no answer at all; default 2. */
  networkRetries?: number;
  /** Pause before the first network retry, doubled each time; default 1000. */
  networkRetryDelayMs?: number;
  /** Throttler limits; `false` turns throttling off (tests only). */
  throttle?: APIThrottlerOptions | false;
}

export function installApiSafety(
  api: Api,
  options: ApiSafetyOptions = {},
): void {
  // The transformer installed last runs first: network retries sit
  // innermost, so each auto-retry attempt also passes the throttler.
  api.config.use(
    retryNetworkFailures(
      options.networkRetries ?? 2,
      options.networkRetryDelayMs ?? 1000,
    ),
  );
  if (options.throttle !== false) {
    api.config.use(apiThrottler(options.throttle ?? {}));
  }
  api.config.use(
    autoRetry({
      maxRetryAttempts: options.maxRetryAttempts ?? 3,
      maxDelaySeconds: options.maxDelaySeconds ?? 60,
      rethrowInternalServerErrors: !(options.retryServerErrors ?? true),
      // Network errors are retried below, a bounded number of times;
      // auto-retry's own loop would retry them forever.
      rethrowHttpErrors: true,
    }),
  );
}

/**
 * Retries a call that got no answer (`HttpError`). A message may then
 * arrive twice; for chat replies and alerts a duplicate beats a loss.
 */
export function retryNetworkFailures(
  retries: number,
  firstDelayMs: number,
): Transformer {
  return async (prev, method, payload, signal) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await prev(method, payload, signal);
      } catch (err) {
        if (!(err instanceof HttpError) || attempt >= retries) throw err;
        if (signal?.aborted === true) throw err;
        await sleep(firstDelayMs * 2 ** attempt);
      }
    }
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
