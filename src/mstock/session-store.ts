import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { releaseLock, tryLock } from './redis-lock.ts';

/**
 * Where the broker session lives so that every worker process uses one
 * login: the access token, when it dies, and the last TOTP step any
 * process sent (a second login in the same step would reuse a code the
 * broker already consumed). Also the lock that makes logins single-flight
 * across processes.
 *
 * The access token is stored in Redis in clear: whoever can read the
 * product's Redis can act on the account for the rest of the day, so
 * Redis must not be reachable from outside the host or private network.
 */

export interface StoredSession {
  accessToken: string;
  /** Epoch ms. */
  expiresAt: number;
  /** Epoch ms. */
  loginAt: number;
}

export interface SessionStore {
  get(): Promise<StoredSession | null>;
  set(session: StoredSession): Promise<void>;
  /**
   * Deletes the session only if it still holds `accessToken`, so a process
   * that saw an old token die never deletes a newer login.
   * @returns true when it deleted.
   */
  clearIf(accessToken: string): Promise<boolean>;
  lastTotpStep(): Promise<number | null>;
  /** Raises the remembered step; never lowers it. */
  markTotpStep(step: number): Promise<void>;
  /**
   * Takes back `markTotpStep(step)` for a code that never left this
   * machine: the remembered step goes back to `previous` (null: none),
   * but only while it is still `step`, so a later step another process
   * has sent is never forgotten.
   */
  releaseTotpStep(step: number, previous: number | null): Promise<void>;
  /** @returns a lock id, or null while another login holds it. */
  tryLock(ttlMs: number): Promise<string | null>;
  unlock(lockId: string): Promise<void>;
}

/** Keep a stored session this long past its expiry, for diagnosis. */
const LINGER_MS = 60 * 60 * 1000;

const CLEAR_IF = `
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'token', 'expiresAt', 'loginAt')
  return 1
end
return 0
`;

const MARK_STEP = `
local current = tonumber(redis.call('HGET', KEYS[1], 'totpStep') or '-1')
if tonumber(ARGV[1]) > current then
  redis.call('HSET', KEYS[1], 'totpStep', ARGV[1])
end
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
`;

const RELEASE_STEP = `
if redis.call('HGET', KEYS[1], 'totpStep') == ARGV[1] then
  if ARGV[2] == '' then
    redis.call('HDEL', KEYS[1], 'totpStep')
  else
    redis.call('HSET', KEYS[1], 'totpStep', ARGV[2])
  end
end
return 1
`;

export class RedisSessionStore implements SessionStore {
  private readonly key: string;
  private readonly lockKey: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly now: () => number = Date.now,
  ) {
    this.key = `${prefix}:session`;
    this.lockKey = `${prefix}:session:lock`;
  }

  async get(): Promise<StoredSession | null> {
    const [token, expiresAt, loginAt] = await this.redis.hmget(
      this.key,
      'token',
      'expiresAt',
      'loginAt',
    );
    if (token === null || token === undefined || token === '') return null;
    const expires = Number(expiresAt);
    if (!Number.isFinite(expires)) return null;
    return {
      accessToken: token,
      expiresAt: expires,
      loginAt: Number(loginAt) || 0,
    };
  }

  async set(session: StoredSession): Promise<void> {
    const ttl = Math.max(0, session.expiresAt - this.now()) + LINGER_MS;
    await this.redis
      .multi()
      .hset(this.key, {
        token: session.accessToken,
        expiresAt: String(session.expiresAt),
        loginAt: String(session.loginAt),
      })
      .pexpire(this.key, ttl)
      .exec();
  }

  async clearIf(accessToken: string): Promise<boolean> {
    const deleted = (await this.redis.eval(
      CLEAR_IF,
      1,
      this.key,
      accessToken,
    )) as number;
    return deleted === 1;
  }

  async lastTotpStep(): Promise<number | null> {
    const step = await this.redis.hget(this.key, 'totpStep');
    return step === null ? null : Number(step);
  }

  async markTotpStep(step: number): Promise<void> {
    await this.redis.eval(MARK_STEP, 1, this.key, String(step), LINGER_MS);
  }

  async releaseTotpStep(step: number, previous: number | null): Promise<void> {
    await this.redis.eval(
      RELEASE_STEP,
      1,
      this.key,
      String(step),
      previous === null ? '' : String(previous),
    );
  }

  tryLock(ttlMs: number): Promise<string | null> {
    return tryLock(this.redis, this.lockKey, ttlMs);
  }

  async unlock(lockId: string): Promise<void> {
    await releaseLock(this.redis, this.lockKey, lockId);
  }
}

/** The same contract in memory, for unit tests and single processes. */
export class MemorySessionStore implements SessionStore {
  private session: StoredSession | null = null;
  private step: number | null = null;
  private lock: { id: string; until: number } | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  get(): Promise<StoredSession | null> {
    return Promise.resolve(this.session === null ? null : { ...this.session });
  }

  set(session: StoredSession): Promise<void> {
    this.session = { ...session };
    return Promise.resolve();
  }

  clearIf(accessToken: string): Promise<boolean> {
    if (this.session?.accessToken !== accessToken) {
      return Promise.resolve(false);
    }
    this.session = null;
    return Promise.resolve(true);
  }

  lastTotpStep(): Promise<number | null> {
    return Promise.resolve(this.step);
  }

  markTotpStep(step: number): Promise<void> {
    if (this.step === null || step > this.step) this.step = step;
    return Promise.resolve();
  }

  releaseTotpStep(step: number, previous: number | null): Promise<void> {
    if (this.step === step) this.step = previous;
    return Promise.resolve();
  }

  tryLock(ttlMs: number): Promise<string | null> {
    if (this.lock !== null && this.lock.until > this.now()) {
      return Promise.resolve(null);
    }
    const id = randomUUID();
    this.lock = { id, until: this.now() + ttlMs };
    return Promise.resolve(id);
  }

  unlock(lockId: string): Promise<void> {
    if (this.lock?.id === lockId) this.lock = null;
    return Promise.resolve();
  }
}
