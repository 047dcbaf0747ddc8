import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import { enqueueAlert } from '../alerts/enqueue-alert.ts';
import type { ControlState } from './control-state.ts';
import type { AlertJobData } from './jobs.ts';
import { stateKeys } from './keys.ts';

/**
 * Publishes what a worker's broker client knows about the session to
 * ControlState (for /status) and turns online/offline flips into alerts.
 * Several worker processes may report the same flip: a compare-and-set in
 * Redis numbers each real transition, and that number is the alert's job
 * id, so one flip is one alert.
 */

/** `SessionInfo` fits; the rest is optional so any client hook can feed it. */
export interface BrokerStatusUpdate {
  online: boolean;
  loggedIn?: boolean;
  /** Epoch ms when the access token dies (`SessionInfo`'s name). */
  expiresAt?: number | null;
  /** The same under ControlState's name; wins when both are given. */
  sessionExpiresAt?: number | null;
  /** Short and chat-safe; null clears it. */
  lastError?: string | null;
  /** A login was refused (credentials, TOTP, IP): a human must act. */
  loginFailed?: boolean;
}

/** The fire-and-forget form a client's status hook can call. */
export type BrokerStatusListener = (update: BrokerStatusUpdate) => void;

/** At most one login-failed alert per this window. */
const LOGIN_FAILED_ALERT_S = 30 * 60;

// KEYS[1] last flag, KEYS[2] transition counter; ARGV[1] new flag.
// Returns 0 when nothing changed (or first sight of "online"), else the
// new transition number.
const FLIP_SCRIPT = `
local previous = redis.call('GET', KEYS[1])
if previous == ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
if previous == false and ARGV[1] == '1' then return 0 end
return redis.call('INCR', KEYS[2])`;

export interface BrokerStatusReporterOptions {
  redis: Redis;
  prefix: string;
  control: ControlState;
  alerts: Queue<AlertJobData>;
  mode: 'paper' | 'live';
  logger: Logger;
  now: () => number;
}

export function createBrokerStatusReporter(
  options: BrokerStatusReporterOptions,
): (update: BrokerStatusUpdate) => Promise<void> {
  const { redis, control, alerts, mode, now } = options;
  const keys = stateKeys(options.prefix);
  const logger = options.logger.child({ part: 'broker-status' });

  return async function reportBrokerStatus(update) {
    const previous = await control.brokerStatus();
    const lastError =
      update.lastError !== undefined
        ? update.lastError
        : update.online
          ? null
          : (previous?.lastError ?? null);
    await control.setBrokerStatus({
      online: update.online,
      loggedIn: update.loggedIn ?? previous?.loggedIn ?? false,
      // An explicit null (logged out) clears it; absent keeps the last.
      sessionExpiresAt:
        update.sessionExpiresAt !== undefined
          ? update.sessionExpiresAt
          : update.expiresAt !== undefined
            ? update.expiresAt
            : (previous?.sessionExpiresAt ?? null),
      lastError,
    });

    const flip = (await redis.eval(
      FLIP_SCRIPT,
      2,
      keys.brokerOnline,
      keys.brokerTransitions,
      update.online ? '1' : '0',
    )) as number;
    if (flip > 0) {
      const change = update.online ? 'online' : 'offline';
      const detail = update.online
        ? 'The broker answers again.'
        : (lastError ?? 'The broker stopped answering.');
      await enqueueAlert(
        alerts,
        { event: { kind: 'broker', change, detail }, mode, at: now() },
        `broker-${change}-${flip}`,
      );
      logger.warn({ change, transition: flip }, 'broker connection changed');
    }

    if (update.loginFailed === true) {
      const first = await redis.set(
        keys.loginFailedAlerted,
        String(now()),
        'EX',
        LOGIN_FAILED_ALERT_S,
        'NX',
      );
      if (first === 'OK') {
        await enqueueAlert(
          alerts,
          {
            event: {
              kind: 'broker',
              change: 'login-failed',
              detail: lastError ?? 'The broker refused the login.',
            },
            mode,
            at: now(),
          },
          `broker-login-failed-${now()}`,
        );
      }
    }
  };
}
