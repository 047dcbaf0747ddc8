import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { releaseLock, tryLock } from '../../src/mstock/redis-lock.ts';
import { connectRedis, deleteKeys, uniquePrefix } from '../support/redis.ts';

describe('redis lock', () => {
  let redis: Redis;
  const prefix = uniquePrefix('lock');
  const key = `${prefix}:lock`;

  before(() => {
    redis = connectRedis();
  });
  after(async () => {
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('has one holder, and only the holder releases it', async () => {
    const token = await tryLock(redis, key, 5_000);
    assert.ok(token !== null);
    assert.equal(await tryLock(redis, key, 5_000), null);
    assert.equal(await releaseLock(redis, key, 'not-the-token'), false);
    assert.equal(await tryLock(redis, key, 5_000), null);
    assert.equal(await releaseLock(redis, key, token), true);
    const next = await tryLock(redis, key, 5_000);
    assert.ok(next !== null);
    await releaseLock(redis, key, next);
  });

  it('a lapsed holder does not free the next holder’s lock', async () => {
    const late = await tryLock(redis, key, 50);
    assert.ok(late !== null);
    await sleep(100);
    const next = await tryLock(redis, key, 5_000);
    assert.ok(next !== null);
    assert.equal(await releaseLock(redis, key, late), false);
    assert.equal(await tryLock(redis, key, 5_000), null);
    assert.equal(await releaseLock(redis, key, next), true);
  });
});
