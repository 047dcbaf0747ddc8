import { randomUUID, randomBytes } from 'node:crypto';
import type { MstockCredentials } from '../config.ts';
import type { AuthState } from './auth.ts';
import {
  badInput,
  failure,
  MESSAGES,
  refusal,
  success,
  type Reply,
} from './envelope.ts';
import type { SimRequest } from './http-io.ts';
import { formatIstDate, formatYmdTime } from './ist-time.ts';
import { parseModifyForm, parsePlaceForm } from './order-form.ts';
import type { Outcome, PaperBroker, Refusal } from './paper-broker.ts';
import {
  bookOrderRow,
  fundsRow,
  holdingRow,
  ltpEntry,
  ohlcEntry,
  orderDetailRows,
  positionRow,
  tradeBookRow,
  tradeHistoryRow,
  type QuotePriceUnit,
  type TagEcho,
} from './wire.ts';

/**
 * The Type A routes under `/openapi/typea/`. Each request passes, in
 * order: the version header, the route table, the form-body rule, the
 * access token, then its handler. Every refusal is a Type A error body.
 */

export const BASE_PATH = '/openapi/typea';

/** Quote requests with more instruments than this are refused. */
const MAX_QUOTE_INSTRUMENTS = 100;

export interface RouteSettings {
  quotePriceUnit: QuotePriceUnit;
  verifyTotpReturnsToken: boolean;
  /** HTTP status of the TokenException body (401 as documented). */
  tokenErrorStatus: number;
  tagEcho: TagEcho;
  /** Empty holdings as `[]` or as the SDK mock's `"None"`. */
  emptyHoldings: 'array' | 'none';
  /** Wrap the place-order reply in a one-element array (SDK mock). */
  placeReplyArray: boolean;
}

export interface RouteDeps {
  auth: AuthState;
  broker: PaperBroker;
  credentials: MstockCredentials;
  now: () => number;
  settings: RouteSettings;
}

interface Context {
  request: SimRequest;
  /** Captures of the route pattern. */
  captures: string[];
  /** The access token of an authenticated request. */
  token: string;
  /** A form field; on `query` routes, else a query parameter. */
  field: (name: string) => string | undefined;
}

interface Route {
  methods: string[];
  pattern: RegExp;
  auth: boolean;
  /** Also read parameters from the query string (GET-or-POST routes). */
  query?: boolean;
  handle(ctx: Context): Reply;
}

export function createTypeARouter(deps: RouteDeps) {
  const { auth, broker, settings } = deps;
  const username = deps.credentials.username;

  const tokenError = () =>
    failure(settings.tokenErrorStatus, 'TokenException', MESSAGES.token);
  const apiKeyError = () => failure(403, 'APIKeyException', MESSAGES.apiKey);

  const sessionData = (token: { token: string } | undefined) => {
    const data: Record<string, unknown> = {
      user_type: 'individual',
      email: 'paper@example.invalid',
      user_name: username,
      user_shortname: 'PAPER',
      broker: 'MIRAE',
      exchanges: ['NSE', 'BSE'],
      products: ['CNC', 'MIS', 'NRML', 'MTF'],
      order_types: ['MARKET', 'LIMIT', 'SL', 'SL-M'],
      avatar_url: '',
      user_id: username,
      api_key: deps.credentials.apiKey,
      public_token: randomUUID(),
      refresh_token: randomBytes(24).toString('base64url'),
      silo: '',
      login_time: formatYmdTime(deps.now()),
      meta: { demat_consent: 'physical' },
    };
    if (token !== undefined) {
      data.access_token = token.token;
      data.enctoken = randomBytes(32).toString('base64url');
    }
    return data;
  };

  // TODO(simulator): scriptmaster (CSV), historical and intraday candles,
  // margins/orders, convertposition and the basket routes answer 404; add
  // each when the client starts calling it.
  // TODO(simulator): the broker's rate limits are not enforced (only the
  // `rate-limited` fault answers 429); enforce them per category when a
  // test needs organic 429s.
  const routes: Route[] = [
    {
      methods: ['POST'],
      pattern: /^connect\/login$/,
      auth: false,
      handle(ctx) {
        // The Python SDK capitalises these; the server binds both.
        const user = ctx.field('username') ?? ctx.field('Username');
        const password = ctx.field('password') ?? ctx.field('Password');
        if (!user) return badInput('username is required.');
        if (!password) return badInput('password is required.');
        if (!auth.checkLogin(user, password)) {
          return failure(500, 'MiraeException', MESSAGES.badLogin);
        }
        // TOTP is on for the paper account, so no SMS OTP is "sent".
        return success({
          ugid: randomUUID(),
          is_kyc: true,
          is_activate: true,
          is_password_reset: true,
          is_error: false,
          cid: username,
          nm: 'PAPER TRADER',
          flag: 0,
        });
      },
    },
    {
      methods: ['POST'],
      pattern: /^session\/verifytotp$/,
      auth: false,
      handle(ctx) {
        const apiKey = ctx.field('api_key');
        const totp = ctx.field('totp')?.trim();
        if (!apiKey) return badInput('api_key is required.');
        if (!totp) return badInput('totp is required.');
        if (!auth.isApiKey(apiKey)) return apiKeyError();
        if (auth.verifyTotp(totp) !== 'ok') {
          return failure(400, 'MiraeException', MESSAGES.badTotp);
        }
        if (!settings.verifyTotpReturnsToken) {
          auth.holdRequestToken(totp);
          return success(sessionData(undefined));
        }
        return success(sessionData(auth.issueToken()));
      },
    },
    {
      methods: ['POST'],
      pattern: /^session\/token$/,
      auth: false,
      handle(ctx) {
        const apiKey = ctx.field('api_key');
        const requestToken = ctx.field('request_token')?.trim();
        const checksum = ctx.field('checksum')?.trim();
        if (!apiKey) return badInput('api_key is required.');
        if (!requestToken) return badInput('request_token is required.');
        if (!checksum) return badInput('checksum is required.');
        // The checksum is a source code (L or W), not a Kite-style hash.
        if (/^[0-9a-f]{64}$/i.test(checksum)) {
          return badInput(
            'Invalid checksum. Send the login source (L) as checksum, not a hash.',
          );
        }
        if (!auth.isApiKey(apiKey)) return apiKeyError();
        if (auth.redeemRequestToken(requestToken) !== 'ok') {
          return failure(400, 'MiraeException', MESSAGES.badOtp);
        }
        return success(sessionData(auth.issueToken()));
      },
    },
    {
      methods: ['GET'],
      pattern: /^logout$/,
      auth: true,
      handle(ctx) {
        auth.revoke(ctx.token);
        return success(null);
      },
    },
    {
      methods: ['GET'],
      pattern: /^instruments\/quote\/(ohlc|ltp)$/,
      auth: true,
      handle(ctx) {
        const keys = ctx.request.query.i ?? [];
        if (keys.length === 0) {
          return badInput(
            'i is required: pass one or more EXCHANGE:SYMBOL, e.g. i=NSE:INFY.',
          );
        }
        if (keys.length > MAX_QUOTE_INSTRUMENTS) {
          return badInput(
            `Too many instruments: at most ${MAX_QUOTE_INSTRUMENTS} per request.`,
          );
        }
        const ohlc = ctx.captures[0] === 'ohlc';
        const unit = settings.quotePriceUnit;
        // fromEntries defines own keys, so "__proto__" stays a plain key.
        const data = Object.fromEntries(
          keys.map((key) => {
            const instrument = broker.market.find(key);
            if (instrument === undefined) return [key, null];
            const state = broker.market.state(instrument);
            return [
              key,
              ohlc
                ? ohlcEntry(instrument, state, unit)
                : ltpEntry(instrument, state, unit),
            ];
          }),
        );
        return success(data);
      },
    },
    {
      methods: ['GET'],
      pattern: /^user\/fundsummary$/,
      auth: true,
      handle: () => success([fundsRow(broker.funds())]),
    },
    {
      methods: ['GET'],
      pattern: /^portfolio\/holdings$/,
      auth: true,
      handle() {
        broker.ensureDay();
        const account = broker.account;
        const rows = [...account.holdings.values()].map((lot) =>
          holdingRow(
            lot,
            broker.market,
            account.deliverySoldToday(lot.company),
          ),
        );
        if (rows.length === 0 && settings.emptyHoldings === 'none') {
          return success('None');
        }
        return success(rows);
      },
    },
    {
      methods: ['GET'],
      pattern: /^portfolio\/positions$/,
      auth: true,
      handle() {
        broker.ensureDay();
        const net = [...broker.account.positions.values()].map((p) =>
          positionRow(p, broker.market),
        );
        return success({ net, day: null });
      },
    },
    {
      methods: ['GET'],
      pattern: /^orders$/,
      auth: true,
      handle: () =>
        success(
          broker
            .orders()
            .map((o) => bookOrderRow(o, username, settings.tagEcho)),
        ),
    },
    {
      // Documented as GET with a form body; the SDKs POST a form.
      methods: ['GET', 'POST'],
      pattern: /^order\/details$/,
      auth: true,
      query: true,
      handle(ctx) {
        const orderNo = ctx.field('order_no') ?? ctx.field('order_id');
        if (!orderNo) return badInput('order_no is required.');
        const order = broker.order(orderNo.trim());
        if (order === undefined) return success(null);
        return success(orderDetailRows(order, settings.tagEcho));
      },
    },
    {
      methods: ['GET'],
      pattern: /^tradebook$/,
      auth: true,
      handle: () =>
        success(broker.tradesToday().map((t) => tradeBookRow(t, username))),
    },
    {
      methods: ['GET', 'POST'],
      pattern: /^trades$/,
      auth: true,
      query: true,
      handle(ctx) {
        const today = formatIstDate(deps.now());
        const from = ctx.field('fromdate')?.trim() || today;
        const to = ctx.field('todate')?.trim() || today;
        for (const [name, value] of [
          ['fromdate', from],
          ['todate', to],
        ] as const) {
          if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) {
            return badInput(`${name} must be a date as YYYY-MM-DD.`);
          }
        }
        return success(broker.tradesBetween(from, to).map(tradeHistoryRow));
      },
    },
    {
      methods: ['POST'],
      pattern: /^orders\/cancelall$/,
      auth: true,
      handle() {
        const outcome = broker.cancelAll();
        if (!outcome.ok) return refusalReply(outcome.refusal);
        // Like the broker: an order id, no count of what was cancelled.
        const last = outcome.value.at(-1);
        return success({ order_id: last?.orderId ?? '' });
      },
    },
    {
      methods: ['POST'],
      pattern: /^orders\/([^/]+)$/,
      auth: true,
      handle(ctx) {
        const variety = ctx.captures[0] ?? '';
        const unsupported = varietyProblem(variety);
        if (unsupported !== undefined) return unsupported;
        const form = parsePlaceForm(ctx.field);
        if (!form.ok) return badInput(form.error);
        const outcome = broker.place(form.value);
        if (!outcome.ok) return refusalReply(outcome.refusal);
        const reply = success({ order_id: outcome.value.orderId });
        return settings.placeReplyArray
          ? { ...reply, body: [reply.body] }
          : reply;
      },
    },
    {
      methods: ['PUT'],
      pattern: /^orders\/([^/]+)\/([^/]+)$/,
      auth: true,
      handle(ctx) {
        const unsupported = varietyProblem(ctx.captures[0] ?? '');
        if (unsupported !== undefined) return unsupported;
        const form = parseModifyForm(ctx.field);
        if (!form.ok) return badInput(form.error);
        return orderIdReply(broker.modify(ctx.captures[1] ?? '', form.value));
      },
    },
    {
      methods: ['DELETE'],
      pattern: /^orders\/([^/]+)\/([^/]+)$/,
      auth: true,
      handle(ctx) {
        const unsupported = varietyProblem(ctx.captures[0] ?? '');
        if (unsupported !== undefined) return unsupported;
        return orderIdReply(broker.cancel(ctx.captures[1] ?? ''));
      },
    },
  ];

  function authenticate(request: SimRequest): string | Reply {
    const header = request.headers.authorization ?? '';
    const match = /^token\s+(\S+)$/i.exec(header.trim());
    const credentials = match?.[1] ?? '';
    // The key never holds ":" (Base64) and neither does the JWT.
    const split = credentials.lastIndexOf(':');
    if (split <= 0 || split === credentials.length - 1) return tokenError();
    const apiKey = credentials.slice(0, split);
    const token = credentials.slice(split + 1);
    const check = auth.checkToken(apiKey, token);
    if (check === 'bad-key') return apiKeyError();
    if (check === 'bad-token') return tokenError();
    return token;
  }

  return function route(request: SimRequest): Reply {
    if ((request.headers['x-mirae-version'] ?? '').trim() !== '1') {
      return failure(400, 'VersionException', MESSAGES.version);
    }
    const candidates = routes
      .map((r) => ({ r, m: r.pattern.exec(request.route) }))
      .filter((c) => c.m !== null);
    if (candidates.length === 0) {
      return failure(
        404,
        'GeneralException',
        `No such Type A route: ${request.method} ${request.path}. Check the path against the API reference.`,
      );
    }
    const hit = candidates.find((c) => c.r.methods.includes(request.method));
    if (hit === undefined || hit.m === null) {
      const allowed = [...new Set(candidates.flatMap((c) => c.r.methods))];
      return {
        ...failure(
          405,
          'GeneralException',
          `${request.method} is not allowed on ${request.path}; use ${allowed.join(' or ')}.`,
        ),
        headers: { allow: allowed.join(', ') },
      };
    }
    if (request.bodyKind === 'json' || request.bodyKind === 'text') {
      // Type A writes are forms; the broker answers JSON with a 200
      // InputException rather than a clear 4xx.
      return refusal(
        'Invalid input. Send the parameters form-encoded (application/x-www-form-urlencoded).',
      );
    }
    let token = '';
    if (hit.r.auth) {
      const result = authenticate(request);
      if (typeof result !== 'string') return result;
      token = result;
    }
    const form =
      request.bodyKind === 'form'
        ? (request.body as Record<string, string>)
        : {};
    return hit.r.handle({
      request,
      captures: hit.m.slice(1).map((c) => c ?? ''),
      token,
      field: (name) => {
        if (Object.hasOwn(form, name)) return form[name];
        return hit.r.query === true ? request.query[name]?.[0] : undefined;
      },
    });
  };
}

function varietyProblem(variety: string): Reply | undefined {
  if (variety === 'regular') return undefined;
  if (['amo', 'co', 'iceberg', 'auction'].includes(variety)) {
    return refusal(
      `The ${variety} variety is not available in paper trading; use regular.`,
    );
  }
  return badInput('Only order types NORMAL,AMO and COVER are available.');
}

function refusalReply(refusalInfo: Refusal): Reply {
  if (refusalInfo.kind === 'input') return badInput(refusalInfo.message);
  if (refusalInfo.kind === 'rms') {
    return failure(200, 'MiraeException', refusalInfo.message);
  }
  return refusal(refusalInfo.message);
}

function orderIdReply(outcome: Outcome<{ orderId: string }>): Reply {
  if (!outcome.ok) return refusalReply(outcome.refusal);
  return success({ order_id: outcome.value.orderId });
}
