import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A lock in Redis that only its holder can release: SET NX with an
 * expiry and a random token, and a release that deletes the key only
 * while it still holds that token. A holder whose lock lapsed (a slow
 * login, a stalled tick) thus never frees the lock someone took after it.
 */

// KEYS[1] lock; ARGV[1] token. 1 when deleted, 0 when not ours (any more).
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/** @returns the token that releases the lock, or null while it is held. */
export async function tryLock(
  redis: Redis,
  key: string,
  ttlMs: number,
): Promise<string | null> {
  const token = randomUUID();
  const locked = await redis.set(key, token, 'PX', ttlMs, 'NX');
  return locked === 'OK' ? token : null;
}

/** @returns false when the lock had lapsed and is not ours any more. */
export async function releaseLock(
  redis: Redis,
  key: string,
  token: string,
): Promise<boolean> {
  return ((await redis.eval(RELEASE, 1, key, token)) as number) === 1;
}
