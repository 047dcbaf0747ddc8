import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import { enqueueAlert } from '../alerts/enqueue-alert.ts';
import type { ControlState } from './control-state.ts';
import type { AlertJobData } from './jobs.ts';
import { stateKeys } from './keys.ts';

/**
 * Publishes what the workers' broker clients know about the session to
 * ControlState (for /status) and turns online/offline changes into
 * alerts. Each worker process has its own view (its offline detector may
 * trip while another's does not), so every report also refreshes that
 * worker's view in Redis, and what is published is the aggregate: online
 * while any worker with a fresh view is online, offline only when every
 * fresh view says offline. A compare-and-set numbers each change of the
 * aggregate, and that number is the alert's job id: one change, one
 * alert, however many workers saw it.
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

// KEYS[1] views hash, KEYS[2] last published flag, KEYS[3] transition
// counter; ARGV[1] worker id, ARGV[2] its flag ("1" online), ARGV[3] view
// ttl ms. Stores the view as "flag:ms" (Redis's clock, so hosts agree),
// drops views long dead, and returns {aggregate flag, transition}: 0 when
// the aggregate did not change (or first sight of "online"), else the new
// transition number.
const AGGREGATE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. string.format('%.0f', now))
local online = '0'
local views = redis.call('HGETALL', KEYS[1])
for i = 1, #views, 2 do
  local flag, at = string.match(views[i + 1], '^([01]):(%d+)$')
  if flag == nil or now - tonumber(at) > 10 * ttl then
    redis.call('HDEL', KEYS[1], views[i])
  elseif flag == '1' and now - tonumber(at) <= ttl then
    online = '1'
  end
end
redis.call('PEXPIRE', KEYS[1], 10 * ttl)
local previous = redis.call('GET', KEYS[2])
if previous == online then return {online, 0} end
redis.call('SET', KEYS[2], online)
if previous == false and online == '1' then return {online, 0} end
return {online, redis.call('INCR', KEYS[3])}`;

export interface BrokerStatusReporterOptions {
  redis: Redis;
  prefix: string;
  control: ControlState;
  alerts: Queue<AlertJobData>;
  mode: 'paper' | 'live';
  logger: Logger;
  now: () => number;
  /** This worker process: one view in the aggregate. */
  workerId: string;
  /**
   * A view not refreshed for this long no longer counts (its worker
   * stopped or hangs); ms. Workers must report more often than this.
   */
  viewTtlMs: number;
}

export interface BrokerStatusReporter {
  /** Records this worker's view, publishes the aggregate, alerts changes. */
  report(update: BrokerStatusUpdate): Promise<void>;
  /** Withdraws this worker's view (a clean stop). */
  retire(): Promise<void>;
}

export function createBrokerStatusReporter(
  options: BrokerStatusReporterOptions,
): BrokerStatusReporter {
  const { redis, control, alerts, mode, now, workerId } = options;
  const keys = stateKeys(options.prefix);
  const logger = options.logger.child({ part: 'broker-status' });

  async function report(update: BrokerStatusUpdate): Promise<void> {
    const [aggregate, flip] = (await redis.eval(
      AGGREGATE_SCRIPT,
      3,
      keys.brokerViews,
      keys.brokerOnline,
      keys.brokerTransitions,
      workerId,
      update.online ? '1' : '0',
      options.viewTtlMs,
    )) as [string, number];
    const online = aggregate === '1';

    const previous = await control.brokerStatus();
    const lastError =
      update.lastError !== undefined
        ? update.lastError
        : update.online
          ? null
          : (previous?.lastError ?? null);
    await control.setBrokerStatus({
      online,
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

    if (flip > 0) {
      const change = online ? 'online' : 'offline';
      const detail = online
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
  }

  return {
    report,
    async retire() {
      await redis.hdel(keys.brokerViews, workerId);
    },
  };
}
