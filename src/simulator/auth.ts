import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createGuardrails, verifySync } from 'otplib';
import type { MstockCredentials } from '../config.ts';
import { nextIstMidnight } from './ist-time.ts';

/** TOTP as every working integration uses it: RFC 6238, SHA-1, 6, 30 s. */
const TOTP_PERIOD_S = 30;
/** Hours an access token lives at most; midnight IST may end it sooner. */
const TOKEN_HOURS = 12;
/** How long a verified TOTP may still be traded in at `session/token`. */
const REQUEST_TOKEN_TTL_MS = 5 * 60 * 1000;

/**
 * otplib refuses secrets under 16 bytes by default; the configuration
 * accepts the 16-character (10-byte) secrets some authenticators show, so
 * the simulator must verify those too.
 */
const TOTP_GUARDRAILS = createGuardrails({ MIN_SECRET_BYTES: 10 });

export type TotpCheck = 'ok' | 'wrong' | 'replay';
export type TokenCheck = 'ok' | 'bad-key' | 'bad-token';

interface Session {
  apiKey: string;
  expiresAt: number;
}

/**
 * The paper account's authentication state: password, TOTP with replay
 * protection, and the issued access tokens.
 */
export class AuthState {
  private readonly sessions = new Map<string, Session>();
  /** Highest TOTP time-step accepted so far; older or equal ones fail. */
  private lastTotpStep = -1;
  private pendingRequestToken: { code: string; expiresAt: number } | undefined;

  constructor(
    private readonly credentials: MstockCredentials,
    private readonly now: () => number,
  ) {}

  checkLogin(username: string, password: string): boolean {
    return (
      sameSecret(username, this.credentials.username) &&
      sameSecret(password, this.credentials.password)
    );
  }

  isApiKey(apiKey: string): boolean {
    return sameSecret(apiKey, this.credentials.apiKey);
  }

  /**
   * Verifies a 6-digit code against the clock, one step either side, and
   * consumes its step: RFC 6238 §5.2 asks verifiers to refuse a second use.
   */
  verifyTotp(code: string): TotpCheck {
    if (!/^\d{6}$/.test(code)) return 'wrong';
    let step: number;
    try {
      const result = verifySync({
        secret: this.credentials.totpSecret,
        token: code,
        epoch: Math.floor(this.now() / 1000),
        period: TOTP_PERIOD_S,
        epochTolerance: TOTP_PERIOD_S,
        guardrails: TOTP_GUARDRAILS,
      });
      // The TOTP strategy always reports the matched step.
      if (!result.valid || !('timeStep' in result)) return 'wrong';
      step = result.timeStep;
    } catch {
      // A secret otplib cannot decode can match no code.
      return 'wrong';
    }
    if (step <= this.lastTotpStep) return 'replay';
    this.lastTotpStep = step;
    return 'ok';
  }

  /**
   * After a `verifytotp` that returned no token, the same code completes
   * the session at `session/token`, once, within a few minutes.
   */
  holdRequestToken(code: string): void {
    this.pendingRequestToken = {
      code,
      expiresAt: this.now() + REQUEST_TOKEN_TTL_MS,
    };
  }

  /** A held code, or else a fresh TOTP code (which is then consumed). */
  redeemRequestToken(code: string): TotpCheck {
    const pending = this.pendingRequestToken;
    if (
      pending !== undefined &&
      pending.expiresAt > this.now() &&
      sameSecret(code, pending.code)
    ) {
      this.pendingRequestToken = undefined;
      return 'ok';
    }
    return this.verifyTotp(code);
  }

  /** A JWT-looking token valid until min(+12 h, next 00:00 IST). */
  issueToken(): { token: string; expiresAt: number } {
    const issuedAt = this.now();
    const expiresAt = Math.min(
      issuedAt + TOKEN_HOURS * 60 * 60 * 1000,
      nextIstMidnight(issuedAt),
    );
    const header = { alg: 'HS256', typ: 'JWT' };
    const payload = {
      sub: this.credentials.username,
      iat: Math.floor(issuedAt / 1000),
      exp: Math.floor(expiresAt / 1000),
      jti: randomBytes(8).toString('hex'),
    };
    const token = [
      base64url(JSON.stringify(header)),
      base64url(JSON.stringify(payload)),
      randomBytes(32).toString('base64url'),
    ].join('.');
    this.sessions.set(token, {
      apiKey: this.credentials.apiKey,
      expiresAt,
    });
    return { token, expiresAt };
  }

  checkToken(apiKey: string, token: string): TokenCheck {
    if (!this.isApiKey(apiKey)) return 'bad-key';
    const session = this.sessions.get(token);
    if (session === undefined) return 'bad-token';
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(token);
      return 'bad-token';
    }
    return 'ok';
  }

  revoke(token: string): void {
    this.sessions.delete(token);
  }

  /** Every issued token dies at once (an early cutoff, a forced logout). */
  expireAll(): void {
    this.sessions.clear();
    this.pendingRequestToken = undefined;
  }

  /** Live sessions, for tests. */
  sessionCount(): number {
    const now = this.now();
    let count = 0;
    for (const session of this.sessions.values()) {
      if (session.expiresAt > now) count++;
    }
    return count;
  }
}

/** Constant-time comparison that also hides the length. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}
