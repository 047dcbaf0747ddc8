import { z } from 'zod';

/**
 * The only reader of `process.env`. Every variable of the configuration
 * contract is validated here once, at start; the rest of the code receives
 * the typed, frozen {@link Config}.
 */

export const ROLES = ['viewer', 'trader', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface AllowedUser {
  id: number;
  role: Role;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
  }
}

const SECRET_VARS = new Set([
  'TELEGRAM_BOT_TOKEN',
  'MSTOCK_API_KEY',
  'MSTOCK_PASSWORD',
  'MSTOCK_TOTP_SECRET',
]);

const blankToUndefined = (v: unknown) =>
  typeof v === 'string' && v.trim() === '' ? undefined : v;

const optionalString = z.preprocess(
  blankToUndefined,
  z
    .string()
    .transform((s) => s.trim())
    .optional(),
);

const url = (fallback: string) =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .default(fallback)
      .transform((s) => s.trim().replace(/\/+$/, ''))
      .pipe(
        z.url({
          protocol: /^https?$/,
          message: 'must be an absolute http:// or https:// URL',
        }),
      ),
  );

const userList = z.preprocess(
  blankToUndefined,
  z
    .string()
    .optional()
    .transform((raw, ctx): AllowedUser[] | undefined => {
      if (raw === undefined) return undefined;
      const users: AllowedUser[] = [];
      for (const part of raw.split(',').map((p) => p.trim())) {
        if (part === '') continue;
        const [idText = '', roleText = 'trader', extra] = part.split(':');
        const role = roleText.trim().toLowerCase();
        if (extra !== undefined || !/^\d{1,15}$/.test(idText.trim())) {
          ctx.addIssue({
            code: 'custom',
            message: `entry "${part}" is not id[:role] with a numeric Telegram user id`,
          });
          return z.NEVER;
        }
        if (!(ROLES as readonly string[]).includes(role)) {
          ctx.addIssue({
            code: 'custom',
            message: `role "${roleText}" is not one of ${ROLES.join(', ')}`,
          });
          return z.NEVER;
        }
        const id = Number(idText);
        if (users.some((u) => u.id === id)) {
          ctx.addIssue({
            code: 'custom',
            message: `user id ${id} is listed twice; give each user one role`,
          });
          return z.NEVER;
        }
        users.push({ id, role: role as Role });
      }
      return users;
    }),
);

const chatIdList = z.preprocess(
  blankToUndefined,
  z
    .string()
    .optional()
    .transform((raw, ctx): number[] => {
      if (raw === undefined) return [];
      const ids: number[] = [];
      for (const part of raw.split(',').map((p) => p.trim())) {
        if (part === '') continue;
        if (!/^-?\d{1,16}$/.test(part) || !Number.isSafeInteger(Number(part))) {
          ctx.addIssue({
            code: 'custom',
            message: `"${part}" is not a numeric chat id`,
          });
          return z.NEVER;
        }
        ids.push(Number(part));
      }
      return ids;
    }),
);

/** Base32 as authenticator apps show it: spaces and lower case allowed. */
const totpSecret = z.preprocess(
  blankToUndefined,
  z
    .string()
    .transform((s) => s.replace(/[\s-]/g, '').toUpperCase().replace(/=+$/, ''))
    .pipe(
      z.string().regex(/^[A-Z2-7]{16,}$/, {
        message:
          'must be the Base32 secret shown beside the TOTP QR code (letters A-Z and digits 2-7, at least 16)',
      }),
    )
    .optional(),
);

const envSchema = z
  .object({
    TRADING_MODE: z.preprocess(
      (v) => (typeof v === 'string' ? v.trim().toLowerCase() : v),
      z
        .enum(['paper', 'live'], { message: 'must be "paper" or "live"' })
        .default('paper'),
    ),
    TELEGRAM_BOT_TOKEN: z.preprocess(
      blankToUndefined,
      z
        .string()
        .transform((s) => s.trim())
        .pipe(
          z.string().regex(/^\d+:[A-Za-z0-9_-]{20,}$/, {
            message: 'does not look like a bot token from @BotFather',
          }),
        )
        .optional(),
    ),
    TELEGRAM_API_ROOT: url('https://api.telegram.org'),
    TELEGRAM_USERS: userList,
    ALERT_CHAT_IDS: chatIdList,
    MSTOCK_BASE_URL: url('https://api.mstock.trade/openapi/typea'),
    MSTOCK_API_KEY: optionalString,
    MSTOCK_USERNAME: optionalString,
    MSTOCK_PASSWORD: optionalString,
    MSTOCK_TOTP_SECRET: totpSecret,
    REDIS_URL: z.preprocess(
      blankToUndefined,
      z
        .string()
        .default('redis://127.0.0.1:6379')
        .pipe(
          z.string().regex(/^rediss?:\/\/\S+$/, {
            message: 'must be a redis:// or rediss:// URL',
          }),
        ),
    ),
    QUEUE_PREFIX: z.preprocess(
      blankToUndefined,
      z
        .string()
        .default('mstock-bot')
        .pipe(
          z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, {
            message: 'use 1-40 letters, digits, "_" or "-"',
          }),
        ),
    ),
    ORDER_POLL_MS: z.preprocess(
      blankToUndefined,
      z.coerce
        .number({ message: 'must be a number of milliseconds' })
        .int({ message: 'must be a whole number of milliseconds' })
        .min(500, { message: 'must be at least 500 ms' })
        .max(600_000, { message: 'must be at most 600000 ms' })
        .default(2000),
    ),
    LOG_LEVEL: z.preprocess(
      (v) =>
        typeof v === 'string' && v.trim() !== ''
          ? v.trim().toLowerCase()
          : undefined,
      z
        .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
          message:
            'must be one of fatal, error, warn, info, debug, trace, silent',
        })
        .default('info'),
    ),
  })
  .superRefine((env, ctx) => {
    if (env.TELEGRAM_BOT_TOKEN !== undefined) {
      if (env.TELEGRAM_USERS === undefined || env.TELEGRAM_USERS.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['TELEGRAM_USERS'],
          message:
            'is required with TELEGRAM_BOT_TOKEN: list the Telegram user ids allowed in, e.g. 123456789:admin',
        });
      }
    }
    if (env.TRADING_MODE === 'live' && !isSafeTransport(env.MSTOCK_BASE_URL)) {
      ctx.addIssue({
        code: 'custom',
        path: ['MSTOCK_BASE_URL'],
        message:
          'must use https:// in live mode (the API key and access token travel with every call); plain http is only for a loopback simulator',
      });
    }
    if (env.TRADING_MODE === 'live') {
      for (const key of [
        'MSTOCK_API_KEY',
        'MSTOCK_USERNAME',
        'MSTOCK_PASSWORD',
        'MSTOCK_TOTP_SECRET',
      ] as const) {
        if (env[key] === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: 'is required when TRADING_MODE=live',
          });
        }
      }
    }
  });

function isSafeTransport(url: string): boolean {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'https:') return true;
    return ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  } catch {
    // Reported by the URL check itself.
    return true;
  }
}

export interface MstockCredentials {
  apiKey: string;
  username: string;
  password: string;
  /** Normalised Base32. */
  totpSecret: string;
}

export interface Config {
  mode: 'paper' | 'live';
  telegram: {
    /** Unset: the terminal chat runs instead of Telegram. */
    token: string | undefined;
    apiRoot: string;
    users: AllowedUser[];
    alertChatIds: number[];
  };
  mstock: {
    baseUrl: string;
    /** Present in live mode; paper mode uses the simulator's own. */
    credentials: MstockCredentials | undefined;
  };
  redisUrl: string;
  queuePrefix: string;
  orderPollMs: number;
  logLevel: string;
}

/** Parses an environment; throws {@link ConfigError} naming each bad variable. */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      // zod messages here never carry the value; secrets stay out anyway.
      const message = SECRET_VARS.has(name)
        ? issue.message.replace(/".*"/, '(value hidden)')
        : issue.message;
      return `${name} ${message}`;
    });
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  const credentials =
    e.MSTOCK_API_KEY !== undefined &&
    e.MSTOCK_USERNAME !== undefined &&
    e.MSTOCK_PASSWORD !== undefined &&
    e.MSTOCK_TOTP_SECRET !== undefined
      ? {
          apiKey: e.MSTOCK_API_KEY,
          username: e.MSTOCK_USERNAME,
          password: e.MSTOCK_PASSWORD,
          totpSecret: e.MSTOCK_TOTP_SECRET,
        }
      : undefined;
  return Object.freeze({
    mode: e.TRADING_MODE,
    telegram: {
      token: e.TELEGRAM_BOT_TOKEN,
      apiRoot: e.TELEGRAM_API_ROOT,
      users: e.TELEGRAM_USERS ?? [],
      alertChatIds: e.ALERT_CHAT_IDS,
    },
    mstock: { baseUrl: e.MSTOCK_BASE_URL, credentials },
    redisUrl: e.REDIS_URL,
    queuePrefix: e.QUEUE_PREFIX,
    orderPollMs: e.ORDER_POLL_MS,
    logLevel: e.LOG_LEVEL,
  });
}
