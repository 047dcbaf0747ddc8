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

/**
 * A Bot API URL carries the bot token (`/bot123:ABC…/getUpdates`), and
 * network errors quote their URL in the message and the stack.
 */
const BOT_TOKEN_IN_TEXT = /bot\d+:[A-Za-z0-9_-]+/g;

/** Copies a value with every bot token in its strings replaced. */
export function scrubTokens(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    return value.replace(BOT_TOKEN_IN_TEXT, 'bot[redacted]');
  }
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrubTokens(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = scrubTokens(v, depth + 1);
  }
  return out;
}

function serializeError(err: unknown): unknown {
  const plain =
    err instanceof Error ? pino.stdSerializers.err(err) : (err as object);
  return scrubTokens(plain);
}

export function createLogger(
  level = 'info',
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: serializeError, error: serializeError },
      base: { pid: process.pid },
    },
    destination,
  );
}
