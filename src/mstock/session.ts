import type { MstockCredentials } from '../config.ts';
import type { Logger } from '../logger.ts';
import { BrokerError } from './errors.ts';
import {
  neverReachedBroker,
  type MstockReply,
  type MstockRequest,
} from './http.ts';
import type { RateCategory } from './rate-limiter.ts';
import { loginReplySchema, parseData, sessionReplySchema } from './schemas.ts';
import type { SessionStore, StoredSession } from './session-store.ts';
import { freshTotp } from './totp.ts';

/**
 * The broker session: one access token shared by every worker process
 * (through the store), obtained by `connect/login` then
 * `session/verifytotp`, and by `session/token` when the TOTP reply carries
 * no token. Logins are single-flight within a process (one promise) and
 * across processes (a lock in the store; waiters re-read the session).
 */

/** Sends one request through the rate limiter and the offline gate. */
export type Transport = (
  request: MstockRequest,
  category: RateCategory,
  options: { probe: boolean },
) => Promise<MstockReply>;

export interface MstockSessionOptions {
  credentials: MstockCredentials;
  store: SessionStore;
  transport: Transport;
  /** The broker's last `Date` header, epoch ms: for the skew hint. */
  serverDate: () => number | null;
  logger: Logger;
  now: () => number;
  /** Waits for TOTP steps; injected so tests need not wait 30 s. */
  sleep: (ms: number) => Promise<void>;
  /** Called when the logged-in state or the expiry changes. */
  onChange?: () => void;
  /** Longest a login may hold the cross-process lock; default 90 s. */
  lockTtlMs?: number;
  /** After a refused login, fail fast this long; default 60 s. */
  authCooldownMs?: number;
}

const IST_OFFSET_MS = 5.5 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const TOKEN_LIFE_MS = 12 * 60 * 60 * 1000;
/** Log in again slightly before the broker's cutoff, not after it. */
const EXPIRY_MARGIN_MS = 60_000;
/** How often a process waiting on another's login re-reads the store. */
const LOCK_POLL_MS = 100;

/**
 * When a token obtained at `loginAt` dies: 12 h later or at the next
 * midnight in India (UTC+05:30, no daylight saving), whichever is first.
 */
export function sessionExpiry(loginAt: number): number {
  const istDayStart =
    Math.floor((loginAt + IST_OFFSET_MS) / DAY_MS) * DAY_MS - IST_OFFSET_MS;
  return Math.min(loginAt + TOKEN_LIFE_MS, istDayStart + DAY_MS);
}

function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function isWrongTotp(error: unknown): boolean {
  return (
    error instanceof BrokerError &&
    error.kind === 'auth' &&
    /\bt?otp\b/i.test(error.brokerMessage ?? '')
  );
}

/** A code handed out, and what was remembered before it. */
interface UsedStep {
  code: string;
  step: number;
  previousLocal: number | null;
  previousShared: number | null;
}

export class MstockSession {
  private current: StoredSession | null = null;
  private inflight: Promise<StoredSession> | null = null;
  private lastStep: number | null = null;
  private refused: { error: BrokerError; until: number } | null = null;
  private readonly log: Logger;

  constructor(private readonly options: MstockSessionOptions) {
    this.log = options.logger;
  }

  snapshot(): { loggedIn: boolean; expiresAt: number | null } {
    const valid = this.isValid(this.current);
    return {
      loggedIn: valid,
      expiresAt: valid ? (this.current?.expiresAt ?? null) : null,
    };
  }

  /** The secrets a log or error must never show, current token included. */
  secrets(): string[] {
    const { apiKey, password, totpSecret } = this.options.credentials;
    const out = [apiKey, password, totpSecret];
    if (this.current !== null) out.push(this.current.accessToken);
    return out;
  }

  /**
   * A live access token: the one in memory, else the shared one, else a
   * new login. `probe` lets the offline detector's probe log in while
   * other calls fail fast.
   */
  async accessToken(options: { probe?: boolean } = {}): Promise<string> {
    if (this.isValid(this.current)) return this.current.accessToken;
    const stored = await this.options.store.get();
    if (this.isValid(stored)) {
      this.adopt(stored);
      return stored.accessToken;
    }
    if (this.refused !== null && this.refused.until > this.options.now()) {
      throw this.refused.error;
    }
    this.inflight ??= this.loginShared(options.probe ?? false).finally(() => {
      this.inflight = null;
    });
    return (await this.inflight).accessToken;
  }

  /**
   * The broker said `accessToken` is dead. Forgets it here, and in the
   * store only if no other process has replaced it meanwhile.
   */
  async invalidate(accessToken: string): Promise<void> {
    if (this.current?.accessToken === accessToken) this.adopt(null);
    const cleared = await this.options.store.clearIf(accessToken);
    this.log.info({ cleared_shared: cleared }, 'mstock session expired');
  }

  private isValid(session: StoredSession | null): session is StoredSession {
    return (
      session !== null &&
      session.expiresAt - EXPIRY_MARGIN_MS > this.options.now()
    );
  }

  private adopt(session: StoredSession | null): void {
    const before = this.snapshot();
    this.current = session;
    const after = this.snapshot();
    if (
      before.loggedIn !== after.loggedIn ||
      before.expiresAt !== after.expiresAt
    ) {
      this.options.onChange?.();
    }
  }

  private async loginShared(probe: boolean): Promise<StoredSession> {
    const store = this.options.store;
    const lockTtl = this.options.lockTtlMs ?? 90_000;
    // Real time: a waiter must give up on a dead holder even when the
    // injected clock stands still.
    const giveUpAt = Date.now() + 2 * lockTtl;
    for (;;) {
      const lockId = await store.tryLock(lockTtl);
      if (lockId !== null) {
        try {
          const stored = await store.get();
          if (this.isValid(stored)) {
            this.adopt(stored);
            return stored;
          }
          const fresh = await this.login(probe);
          await store.set(fresh);
          this.adopt(fresh);
          return fresh;
        } finally {
          await store.unlock(lockId);
        }
      }
      await realSleep(LOCK_POLL_MS);
      const stored = await store.get();
      if (this.isValid(stored)) {
        this.adopt(stored);
        return stored;
      }
      if (Date.now() > giveUpAt) {
        throw new BrokerError(
          'unavailable',
          'Another worker is still logging in to mStock; try again in a minute.',
        );
      }
    }
  }

  private async login(probe: boolean): Promise<StoredSession> {
    const { credentials, transport } = this.options;
    const send = (request: MstockRequest) =>
      transport(request, 'auth', { probe });
    try {
      const reply = await send({
        method: 'POST',
        path: 'connect/login',
        kind: 'auth',
        form: {
          username: credentials.username,
          password: credentials.password,
        },
      });
      parseData(loginReplySchema, reply.data, 'POST connect/login');
      const { accessToken, code } = await this.verifyTotp(send);
      const token = accessToken ?? (await this.sessionToken(send, code));
      const loginAt = this.options.now();
      const session = {
        accessToken: token,
        loginAt,
        expiresAt: sessionExpiry(loginAt),
      };
      this.refused = null;
      this.log.info({ expires_at: session.expiresAt }, 'mstock logged in');
      return session;
    } catch (err) {
      if (err instanceof BrokerError && err.kind === 'auth') {
        // Repeating a refused login risks locking the account.
        this.refused = {
          error: err,
          until: this.options.now() + (this.options.authCooldownMs ?? 60_000),
        };
        // TODO(mstock): share the cooldown through the store so that other
        // worker processes stop retrying too; until then each process
        // tries once per cooldown.
      }
      this.log.warn(
        { err_kind: err instanceof BrokerError ? err.kind : 'internal' },
        'mstock login failed',
      );
      throw err;
    }
  }

  /**
   * One fresh code, and on "wrong TOTP" one more with the next step's code
   * (the first may have crossed a step boundary in flight, or the clocks
   * disagree: the log says by how much).
   */
  private async verifyTotp(
    send: (request: MstockRequest) => Promise<MstockReply>,
  ): Promise<{ accessToken: string | null; code: string }> {
    const apiKey = this.options.credentials.apiKey;
    for (let attempt = 1; ; attempt++) {
      let code = '';
      let used: UsedStep | null = null;
      try {
        const reply = await send({
          method: 'POST',
          path: 'session/verifytotp',
          kind: 'auth',
          prepareForm: async () => {
            used = await this.nextTotpCode();
            code = used.code;
            return { api_key: apiKey, totp: code };
          },
        });
        const { accessToken } = parseData(
          sessionReplySchema,
          reply.data,
          'POST session/verifytotp',
        );
        return { accessToken, code };
      } catch (err) {
        // The broker never saw this code (refused connection, unknown
        // host): its step is still good, and keeping it marked would make
        // the next login wait up to 30 s for a fresh one.
        if (used !== null && neverReachedBroker(err)) {
          await this.releaseStep(used);
        }
        if (attempt > 1 || !isWrongTotp(err)) throw err;
        this.logSkewHint();
      }
    }
  }

  /**
   * A code for a step no process has sent yet, with enough of the step
   * left, recorded as used before it is sent: the broker may consume the
   * step even if its answer never arrives.
   */
  private async nextTotpCode(): Promise<UsedStep> {
    const { credentials, store, now, sleep } = this.options;
    const shared = await store.lastTotpStep();
    const lastUsedStep =
      shared === null
        ? this.lastStep
        : Math.max(shared, this.lastStep ?? shared);
    const totp = await freshTotp({
      secret: credentials.totpSecret,
      now,
      sleep,
      lastUsedStep,
    });
    const used = {
      code: totp.code,
      step: totp.step,
      previousLocal: this.lastStep,
      previousShared: shared,
    };
    this.lastStep = totp.step;
    await store.markTotpStep(totp.step);
    return used;
  }

  /** Undoes {@link nextTotpCode}'s marks for a code that was never sent. */
  private async releaseStep(used: UsedStep): Promise<void> {
    if (this.lastStep === used.step) this.lastStep = used.previousLocal;
    try {
      await this.options.store.releaseTotpStep(used.step, used.previousShared);
    } catch (err) {
      // Harmless: the next login waits for the next step instead.
      this.log.warn(
        { reason: err instanceof Error ? err.message : String(err) },
        'mstock totp step not released',
      );
    }
  }

  /** Completes a login whose TOTP reply carried no token. */
  private async sessionToken(
    send: (request: MstockRequest) => Promise<MstockReply>,
    code: string,
  ): Promise<string> {
    const reply = await send({
      method: 'POST',
      path: 'session/token',
      kind: 'auth',
      // `checksum` is a literal source marker on Type A, not a hash.
      form: {
        api_key: this.options.credentials.apiKey,
        request_token: code,
        checksum: 'L',
      },
    });
    const { accessToken } = parseData(
      sessionReplySchema,
      reply.data,
      'POST session/token',
    );
    if (accessToken === null) {
      throw new BrokerError(
        'protocol',
        'mStock accepted the login but sent no access token; the worker log has details.',
        { endpoint: 'POST session/token' },
      );
    }
    return accessToken;
  }

  private logSkewHint(): void {
    const server = this.options.serverDate();
    const skewS =
      server === null ? null : Math.round((this.options.now() - server) / 1000);
    this.log.warn(
      {
        clock_skew_s: skewS,
        hint:
          skewS !== null && Math.abs(skewS) >= 15
            ? "this machine's clock differs from mStock's; sync it (NTP)"
            : 'code may have expired in flight; trying the next one',
      },
      'mstock rejected the TOTP; retrying once with the next code',
    );
  }
}
