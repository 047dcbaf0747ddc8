/**
 * The Type A reply envelope and the broker's own error wording, kept
 * verbatim (typos and trailing spaces included) because clients match on
 * them.
 */

export type ErrorType =
  | 'TokenException'
  | 'APIKeyException'
  | 'InputException'
  | 'MiraeException'
  | 'GeneralException'
  | 'VersionException';

/** What a route answers; the HTTP layer serialises it. */
export interface Reply {
  status: number;
  /** JSON-serialised; `undefined` sends an empty body. */
  body: unknown;
  headers?: Record<string, string>;
}

export interface ErrorBody {
  status: 'error';
  message: string;
  error_type: ErrorType;
  data: null;
}

export const MESSAGES = {
  version: 'Please provide valid api version.',
  token: 'Invalid request. Please try again.',
  apiKey:
    'API is suspended/expired for use. Please check your API subscription and try again.',
  badLogin: 'Invalid username or password (MACM1)',
  badTotp: 'Please enter correct TOTP',
  badOtp:
    'The entered OTP is incorrect. Please proceed to login page. (-MACM60)',
  orderMissing:
    'Order Does not Exsist.Need to refresh orderbook / relogin in application ',
  rateLimited: 'Too many requests. Please try again after some time.',
  internal: 'something went wrong',
} as const;

export function success(data: unknown, status = 200): Reply {
  return { status, body: { status: 'success', data } };
}

export function failure(
  status: number,
  errorType: ErrorType,
  message: string,
): Reply {
  const body: ErrorBody = {
    status: 'error',
    message,
    error_type: errorType,
    data: null,
  };
  return { status, body };
}

/** Missing or malformed parameters: HTTP 400, as the error table says. */
export function badInput(message: string): Reply {
  return failure(400, 'InputException', message);
}

/**
 * A business refusal (market closed, unknown order, unknown symbol): the
 * broker answers these under HTTP 200, so only the body tells.
 */
export function refusal(message: string): Reply {
  return failure(200, 'InputException', message);
}

/** `System is not connected to NSE Equity market`. */
export function marketClosedMessage(exchange: string): string {
  return `System is not connected to ${exchange} Equity market`;
}
