/**
 * Broker failures, classified once at the edge. `retryable` says whether
 * the same read may be tried again; an order is never retried on it alone.
 * Messages are safe for a chat: no secret, no HTML from the broker.
 */

export type BrokerErrorKind =
  /** Bad credentials, TOTP, API key or unregistered IP: a human must act. */
  | 'auth'
  /** Access token missing or expired: log in again. */
  | 'token'
  /** The broker refused the request as given (bad input, market closed). */
  | 'input'
  /** The order or cancel was refused (RMS, already executed, not found). */
  | 'rejected'
  /** 5xx, HTML pages, resets, timeouts: the broker may answer later. */
  | 'unavailable'
  | 'rate-limited'
  /** Marked offline after consecutive failures; failing fast. */
  | 'offline'
  /** A reply we could not read (schema mismatch). */
  | 'protocol';

export interface BrokerErrorOptions {
  /** Broker's `error_type`, e.g. `InputException`. */
  brokerType?: string | undefined;
  /** The broker's own message, trimmed, no HTML. */
  brokerMessage?: string | undefined;
  status?: number | undefined;
  /** `GET orders`, with no query string. */
  endpoint?: string | undefined;
  retryAfterMs?: number | undefined;
  cause?: unknown;
}

export class BrokerError extends Error {
  override name = 'BrokerError';
  readonly brokerType: string | undefined;
  readonly brokerMessage: string | undefined;
  readonly status: number | undefined;
  readonly endpoint: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly kind: BrokerErrorKind,
    message: string,
    options: BrokerErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.brokerType = options.brokerType;
    this.brokerMessage = options.brokerMessage;
    this.status = options.status;
    this.endpoint = options.endpoint;
    this.retryAfterMs = options.retryAfterMs;
  }

  get retryable(): boolean {
    return this.kind === 'unavailable' || this.kind === 'rate-limited';
  }
}

/**
 * An order request may have reached the broker but no usable reply came
 * back (timeout, reset, empty or unreadable body, 5xx). Never re-POST on
 * this: look the order up by its tag first.
 */
export class OrderOutcomeUnknownError extends Error {
  override name = 'OrderOutcomeUnknownError';
  constructor(
    readonly tag: string,
    options: { cause?: unknown } = {},
  ) {
    super(
      'The broker did not confirm the order; it may or may not have been placed. Check /orders before trying again.',
      options,
    );
  }
}
