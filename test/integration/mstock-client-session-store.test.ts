import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { RedisSessionStore } from '../../src/mstock/session-store.ts';
import { connectRedis, deleteKeys, uniquePrefix } from '../support/redis.ts';

describe('RedisSessionStore', () => {
  let redis: Redis;
  let prefix: string;
  let store: RedisSessionStore;
  const now = Date.now();

  before(() => {
    redis = connectRedis();
    prefix = uniquePrefix('session');
    store = new RedisSessionStore(redis, prefix, () => now);
  });

  after(async () => {
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('keeps the session under `${prefix}:session` with a TTL', async () => {
    assert.equal(await store.get(), null);
    const session = { accessToken: 'A', loginAt: now, expiresAt: now + 60_000 };
    await store.set(session);
    assert.deepEqual(await store.get(), session);
    assert.equal(await redis.hget(`${prefix}:session`, 'token'), 'A');
    assert.ok((await redis.pttl(`${prefix}:session`)) > 60_000);
  });

  it('clears only the token it is told about', async () => {
    await store.set({ accessToken: 'B', loginAt: now, expiresAt: now + 1 });
    assert.equal(await store.clearIf('A'), false);
    assert.equal((await store.get())?.accessToken, 'B');
    assert.equal(await store.clearIf('B'), true);
    assert.equal(await store.get(), null);
  });

  it('remembers the highest TOTP step, even across a cleared session', async () => {
    await store.markTotpStep(100);
    await store.markTotpStep(99);
    assert.equal(await store.lastTotpStep(), 100);
    await store.set({ accessToken: 'C', loginAt: now, expiresAt: now + 1 });
    await store.clearIf('C');
    assert.equal(await store.lastTotpStep(), 100);
  });

  it('releases a step only while it is still the remembered one', async () => {
    await store.markTotpStep(101);
    await store.releaseTotpStep(101, 100);
    assert.equal(await store.lastTotpStep(), 100);
    // Another process has sent 102 meanwhile: releasing 101 keeps it.
    await store.markTotpStep(102);
    await store.releaseTotpStep(101, 100);
    assert.equal(await store.lastTotpStep(), 102);
    // No step before: the mark is removed.
    await store.releaseTotpStep(102, null);
    assert.equal(await store.lastTotpStep(), null);
  });

  it('gives the login lock to one holder at a time, until it expires', async () => {
    const other = new RedisSessionStore(redis, prefix);
    const first = await store.tryLock(150);
    assert.ok(first);
    assert.equal(await other.tryLock(150), null);
    // Only the holder's id releases it.
    await other.unlock('not-the-holder');
    assert.equal(await other.tryLock(150), null);
    await store.unlock(first);
    const second = await other.tryLock(100);
    assert.ok(second);
    await new Promise((r) => setTimeout(r, 150));
    assert.ok(await store.tryLock(100), 'an abandoned lock expires');
  });
});
