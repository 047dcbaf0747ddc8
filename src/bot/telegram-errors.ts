import { GrammyError, HttpError } from 'grammy';

/**
 * What a failed Bot API call means for the caller. grammY throws
 * `GrammyError` when Telegram answered `ok: false` and `HttpError` when
 * no answer came back at all.
 */

export function isParseError(err: unknown): boolean {
  return (
    err instanceof GrammyError &&
    err.error_code === 400 &&
    /can't parse entities|unsupported start tag|can't find end/i.test(
      err.description,
    )
  );
}

/** The forum topic a reply was meant for was closed or deleted. */
export function isThreadGone(err: unknown): boolean {
  return (
    err instanceof GrammyError &&
    err.error_code === 400 &&
    /message thread not found|topic_closed|topic_deleted/i.test(err.description)
  );
}

export function isNotModified(err: unknown): boolean {
  return (
    err instanceof GrammyError &&
    err.error_code === 400 &&
    /message is not modified/i.test(err.description)
  );
}

/**
 * `retry`: flood control still in force after auto-retry gave up, a
 * Telegram 5xx, or the network; the same send may succeed later.
 * `drop`: the bot was blocked, kicked or the chat is gone (403), or the
 * request itself is wrong (400); sending again would fail again.
 */
export function classifySendError(err: unknown): 'retry' | 'drop' {
  if (err instanceof GrammyError) {
    if (err.error_code === 429 || err.error_code >= 500) return 'retry';
    if (err.error_code === 403 || err.error_code === 400) return 'drop';
    return 'retry';
  }
  if (err instanceof HttpError) return 'retry';
  return 'retry';
}

/**
 * Log fields for a failed call. A `GrammyError` carries the whole request
 * payload (the message text, the chat); only the code and Telegram's own
 * description go to the log.
 */
export function telegramErrorFields(err: unknown): Record<string, unknown> {
  if (err instanceof GrammyError) {
    return {
      method: err.method,
      error_code: err.error_code,
      description: err.description,
      retry_after: err.parameters.retry_after,
    };
  }
  if (err instanceof HttpError) {
    return { http_error: err.message };
  }
  return { error: err instanceof Error ? err.message : String(err) };
}

/**
 * Log fields for any error an update handler may throw: Bot API errors
 * through {@link telegramErrorFields} (never their payload), anything
 * else as pino's `err` with its stack.
 */
export function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof GrammyError || err instanceof HttpError) {
    return telegramErrorFields(err);
  }
  return { err };
}
