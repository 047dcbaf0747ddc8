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
  /**
   * A throttler made by {@link createThrottler} to use instead of a new
   * one: two `Api` objects of one bot token must share it, since
   * Telegram's limits count both.
   */
  throttler?: Transformer | undefined;
}

/**
 * For the alert notifier, whose job retries later (with backoff, across
 * restarts) what fails now: one short flood wait is waited out in place,
 * anything longer, a 5xx or a network failure goes straight back to the
 * job. Retrying here too would multiply the job's attempts and hold a
 * worker slot for a minute per chat.
 */
export const ALERT_API_SAFETY: ApiSafetyOptions = {
  maxRetryAttempts: 1,
  maxDelaySeconds: 5,
  retryServerErrors: false,
  networkRetries: 0,
};

/** A throttler to share between the `Api` objects of one bot token. */
export function createThrottler(
  options: APIThrottlerOptions | false = {},
): Transformer | undefined {
  return options === false ? undefined : apiThrottler(options);
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
  const throttler = options.throttler ?? createThrottler(options.throttle);
  if (throttler !== undefined) api.config.use(throttler);
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
