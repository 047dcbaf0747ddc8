import { createGuardrails, generateSync } from 'otplib';
import { BrokerError } from './errors.ts';

/**
 * RFC 6238 codes as mStock's `session/verifytotp` expects them: HMAC-SHA1,
 * 6 digits, 30 s steps, from the Base32 secret shown beside the QR code.
 * The clock is injected so tests (and the skew hint) control it.
 */

export const TOTP_STEP_MS = 30_000;

/**
 * Leave at least this much of a step when sending a code: a code generated
 * at hh:mm:29.5 is stale by the time a slow login reaches the broker.
 */
export const TOTP_MIN_REMAINING_MS = 3_000;

/**
 * otplib refuses secrets under 16 bytes by default; the configuration
 * accepts 16 Base32 characters (10 bytes), the shortest secret seen from
 * authenticator set-ups, so the guardrail is lowered to match.
 */
const GUARDRAILS = createGuardrails({ MIN_SECRET_BYTES: 10 });

export interface TotpCode {
  code: string;
  /** `floor(epoch seconds / 30)`: what the broker remembers as used. */
  step: number;
}

export function totpStep(epochMs: number): number {
  return Math.floor(epochMs / TOTP_STEP_MS);
}

/** The 6-digit code for the step containing `epochMs`. */
export function generateTotp(secret: string, epochMs: number): string {
  try {
    return generateSync({
      secret,
      epoch: Math.floor(epochMs / 1000),
      algorithm: 'sha1',
      digits: 6,
      period: TOTP_STEP_MS / 1000,
      guardrails: GUARDRAILS,
    });
  } catch {
    // otplib's message may quote part of the secret: none of it is kept.
    throw new BrokerError(
      'auth',
      'MSTOCK_TOTP_SECRET cannot produce a code; copy the Base32 secret shown beside the TOTP QR code again.',
    );
  }
}

export interface FreshTotpOptions {
  secret: string;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Last step any process sent; its code is never sent again. */
  lastUsedStep: number | null;
  minRemainingMs?: number;
}

/**
 * A code generated right before use: waits for the next step when the
 * current one is nearly over or was already used (a broker refuses a code
 * whose step it has consumed, RFC 6238 §5.2), then reads the clock again
 * and generates. The caller must record `step` as used before sending.
 */
export async function freshTotp(options: FreshTotpOptions): Promise<TotpCode> {
  const minRemaining = options.minRemainingMs ?? TOTP_MIN_REMAINING_MS;
  for (;;) {
    const now = options.now();
    const step = totpStep(now);
    const nextStepAt = (step + 1) * TOTP_STEP_MS;
    if (options.lastUsedStep !== null && step <= options.lastUsedStep) {
      await options.sleep((options.lastUsedStep + 1) * TOTP_STEP_MS - now);
      continue;
    }
    if (nextStepAt - now < minRemaining) {
      await options.sleep(nextStepAt - now);
      continue;
    }
    return { code: generateTotp(options.secret, now), step };
  }
}
