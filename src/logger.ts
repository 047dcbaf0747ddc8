import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Paths whose values never reach a log line. pino's `*` stands for one
 * whole path segment, so each secret is listed at the top level and one
 * and two levels down.
 */
const SECRET_KEYS = [
  'password',
  'Password',
  'totp',
  'totpSecret',
  'token',
  'accessToken',
  'access_token',
  'apiKey',
  'api_key',
  'authorization',
  'Authorization',
  'request_token',
  'credentials',
];

export const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [
  key,
  `*.${key}`,
  `*.*.${key}`,
]);

export function createLogger(
  level = 'info',
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    destination,
  );
}
