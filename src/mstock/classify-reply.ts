import { BrokerError } from './errors.ts';
import { parseEnvelope } from './schemas.ts';

/**
 * Every broker answer, and every failure to get one, becomes either the
 * envelope's `data` or one {@link BrokerError} here. Messages are short,
 * plain and safe for a chat: the broker's own text is stripped of markup,
 * cut short and scrubbed of our secrets before it is quoted.
 */

/** Login calls never carry a token; order calls change the account. */
export type EndpointKind = 'auth' | 'order' | 'read';

export interface RawReply {
  status: number;
  /** `Retry-After`, as sent. */
  retryAfter: string | null;
  body: string;
}

export interface ReplyContext {
  /** `GET orders`: method and path, no query. */
  endpoint: string;
  kind: EndpointKind;
  /** Texts that must never be quoted back (api key, token, password). */
  secrets: readonly string[];
  now: number;
}

export type Classified =
  { ok: true; data: unknown } | { ok: false; error: BrokerError };

const BROKER_TEXT_MAX = 160;

/**
 * Secrets masked, markup out, whitespace collapsed, secrets masked again,
 * length capped. Masking before the clean-up catches a secret that holds
 * `<` or runs of spaces; masking after it catches one the markup split.
 */
export function cleanBrokerText(
  text: string,
  secrets: readonly string[],
): string {
  const spellings = secretSpellings(secrets);
  const clean = maskSecrets(
    maskSecrets(text, spellings)
      .replace(/<script[\s\S]*?<\/script>/gi, ' ')
      .replace(/<style[\s\S]*?<\/style>/gi, ' ')
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
    spellings,
  );
  return clean.length > BROKER_TEXT_MAX
    ? `${clean.slice(0, BROKER_TEXT_MAX - 1)}…`
    : clean;
}

/** Shorter texts are too common to mask without garbling messages. */
const SECRET_MIN_CHARS = 4;

/**
 * Every way a secret may come back quoted: as is, percent-encoded
 * (`encodeURIComponent`, as in a URL), form-encoded (`URLSearchParams`,
 * space as `+`), each with upper- or lower-case hex. API keys hold `/`,
 * `+` and `@`, so an echoed request body shows them encoded. Longest
 * first, so no shorter spelling leaves the tail of a longer one.
 */
export function secretSpellings(secrets: readonly string[]): string[] {
  const out = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < SECRET_MIN_CHARS) continue;
    const encoded = [
      encodeURIComponent(secret),
      new URLSearchParams({ s: secret }).toString().slice('s='.length),
    ];
    out.add(secret);
    for (const text of encoded) {
      out.add(text);
      out.add(text.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()));
    }
  }
  return [...out].sort((a, b) => b.length - a.length);
}

function maskSecrets(text: string, spellings: readonly string[]): string {
  let masked = text;
  for (const spelling of spellings) {
    masked = masked.split(spelling).join('[redacted]');
  }
  return masked;
}

/** `Retry-After` in seconds or as an HTTP date, as milliseconds. */
export function parseRetryAfter(
  value: string | null,
  now: number,
): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value.trim());
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function tryJson(body: string): unknown {
  if (body === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

export function classifyReply(reply: RawReply, ctx: ReplyContext): Classified {
  const { status } = reply;
  const base = { status, endpoint: ctx.endpoint };
  const json = tryJson(reply.body.trim());
  const envelope = json === undefined ? undefined : parseEnvelope(json);

  if (envelope?.ok === true && status < 400) {
    return { ok: true, data: envelope.data };
  }
  if (status === 429) {
    return fail('rate-limited', RATE_LIMITED, {
      ...base,
      retryAfterMs: parseRetryAfter(reply.retryAfter, ctx.now),
    });
  }
  if (envelope === undefined || envelope.ok) {
    return classifyUnreadable(reply, ctx, json !== undefined);
  }

  const brokerMessage = cleanBrokerText(envelope.message ?? '', ctx.secrets);
  const options = {
    ...base,
    brokerType: envelope.errorType ?? undefined,
    brokerMessage: brokerMessage === '' ? undefined : brokerMessage,
    retryAfterMs: parseRetryAfter(reply.retryAfter, ctx.now),
  };
  return { ok: false, error: errorFromEnvelope(options, ctx.kind) };
}

type Options = {
  status: number;
  endpoint: string;
  brokerType?: string | undefined;
  brokerMessage?: string | undefined;
  retryAfterMs?: number | undefined;
};

const RATE_LIMITED =
  'mStock says too many requests; try again in a few seconds.';
const TOKEN_EXPIRED =
  'The mStock session is no longer valid; the bot logs in again by itself.';

function fail(
  kind: BrokerError['kind'],
  message: string,
  options: Options,
): Classified {
  return { ok: false, error: new BrokerError(kind, message, options) };
}

/** HTML, an empty body, or JSON that is not the Type A envelope. */
function classifyUnreadable(
  reply: RawReply,
  ctx: ReplyContext,
  isJson: boolean,
): Classified {
  const { status } = reply;
  const options = { status, endpoint: ctx.endpoint };
  if (status === 401 && ctx.kind !== 'auth') {
    return fail('token', TOKEN_EXPIRED, options);
  }
  if (status === 404) {
    return fail(
      'protocol',
      `mStock has no ${ctx.endpoint}; check MSTOCK_BASE_URL.`,
      options,
    );
  }
  if (isJson && status < 500) {
    return fail(
      'protocol',
      `mStock sent a reply this bot cannot read (${ctx.endpoint}); the worker log has details.`,
      options,
    );
  }
  // Gateways and bot-protection pages answer HTML (502, 403, even 200);
  // the broker behind them may well be fine a minute later.
  const what = reply.body.trim() === '' ? 'an empty reply' : 'a web page';
  return fail(
    'unavailable',
    `mStock is not answering properly (HTTP ${status}, ${what} instead of data); try again in a minute.`,
    options,
  );
}

function errorFromEnvelope(options: Options, kind: EndpointKind): BrokerError {
  const type = options.brokerType ?? '';
  const text = options.brokerMessage ?? '';
  // Our sentences end in their own full stop: "…exchange." not "..".
  const trimmed = text.replace(/[\s.,;:!?]+$/u, '');
  const quoted = trimmed === '' ? 'no reason given' : trimmed;
  const status = options.status;

  // An order endpoint that fails on the server side may have acted before
  // it failed: whatever the envelope says, the outcome is open, and the
  // caller must look at the book (never treat it as a refusal, never
  // re-send it after a relogin).
  if (kind === 'order' && (status >= 500 || type === 'GeneralException')) {
    return new BrokerError(
      'unavailable',
      `mStock failed while handling it (HTTP ${status}): ${quoted}.`,
      options,
    );
  }
  if (type === 'TokenException' || (status === 401 && kind !== 'auth')) {
    return kind === 'auth'
      ? new BrokerError('auth', `mStock refused the login: ${quoted}.`, options)
      : new BrokerError('token', TOKEN_EXPIRED, options);
  }
  if (/too many requests|rate limit/i.test(text)) {
    return new BrokerError('rate-limited', RATE_LIMITED, options);
  }
  if (/ip address/i.test(text)) {
    return new BrokerError(
      'auth',
      "mStock refused this machine's IP address; register it as the primary or secondary IP of the API key on mStock's Trading API page.",
      options,
    );
  }
  if (type === 'APIKeyException') {
    return new BrokerError(
      'auth',
      `mStock refused the API key: ${quoted}. Check MSTOCK_API_KEY and the API subscription.`,
      options,
    );
  }
  if (type === 'VersionException' || /api version/i.test(text)) {
    return new BrokerError(
      'protocol',
      'mStock refused the API version this bot speaks; the client needs an update.',
      options,
    );
  }
  if (type === 'GeneralException') {
    return new BrokerError(
      'unavailable',
      'mStock reported an internal error; try again in a minute.',
      options,
    );
  }
  if (kind === 'auth') {
    const hint = /totp/i.test(text)
      ? " Check MSTOCK_TOTP_SECRET and this machine's clock."
      : ' Check MSTOCK_USERNAME, MSTOCK_PASSWORD and MSTOCK_API_KEY.';
    return new BrokerError(
      'auth',
      `mStock refused the login: ${quoted}.${hint}`,
      options,
    );
  }
  // "Order Does not Exsist.Need to refresh orderbook" (sic): the order is
  // gone or already closed, which a cancel treats as done elsewhere.
  if (/does not exs?ist/i.test(text)) {
    return new BrokerError(
      'rejected',
      `mStock refused it: ${quoted}.`,
      options,
    );
  }
  if (kind === 'order') {
    return type === 'InputException'
      ? new BrokerError(
          'input',
          `mStock refused the order: ${quoted}.`,
          options,
        )
      : new BrokerError('rejected', `mStock refused it: ${quoted}.`, options);
  }
  if (status >= 500) {
    return new BrokerError(
      'unavailable',
      `mStock failed to answer (HTTP ${status}): ${quoted}. Try again in a minute.`,
      options,
    );
  }
  return new BrokerError(
    'input',
    `mStock refused the request: ${quoted}.`,
    options,
  );
}
