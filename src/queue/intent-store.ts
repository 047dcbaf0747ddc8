import type { Redis } from 'ioredis';
import { z } from 'zod';
import { haltKey } from './control-state.ts';
import { stateKeys } from './keys.ts';

/**
 * The idempotency record of one confirmed order intent. It is claimed
 * (SET NX) before the order POST, so whatever runs the same intent again
 * (a duplicate job, a re-run after a crash, a second worker) finds it and
 * reconciles against the order book instead of posting a second time.
 */

/** Records outlive any retry, redelivery or restart of one trading day. */
const INTENT_TTL_S = 7 * 24 * 3600;

/**
 * Past this age a "placing" entry no longer makes the fill watcher wait
 * (/panic uses its own, tighter bound: see the panic processor).
 */
export const PLACING_STALE_MS = 60_000;

/** Entries left by dead workers are dropped after a day. */
const PLACING_FORGET_MS = 24 * 3600_000;

// The time is Redis's own, in ms, so that workers on hosts whose clocks
// differ agree on the age of an entry.
const REDIS_NOW_MS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// KEYS[1] halt hash, KEYS[2] placing zset; ARGV[1] intent id, ARGV[2]
// forget-after ms. One atomic step: a /panic that sets the halt either
// comes first (0: refused) or finds this entry when it looks (1).
const ENTER_PLACING = `${REDIS_NOW_MS}
if redis.call('HGET', KEYS[1], 'halted') == '1' then return 0 end
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[2]))
return 1`;

// KEYS[1] placing zset; ARGV[1] max age ms.
const COUNT_PLACING = `${REDIS_NOW_MS}
return redis.call('ZCOUNT', KEYS[1], now - tonumber(ARGV[1]), '+inf')`;

const intentRecordSchema = z.discriminatedUnion('state', [
  z.object({
    state: z.literal('sending'),
    /** Epoch ms when the POST was about to go out. */
    startedAt: z.number(),
    jobId: z.string().nullable(),
  }),
  z.object({
    state: z.literal('sent'),
    startedAt: z.number(),
    orderId: z.string(),
    confirmedBy: z.enum(['broker-reply', 'order-tag', 'order-fields']),
  }),
  z.object({
    state: z.literal('unknown'),
    startedAt: z.number(),
    detail: z.string(),
  }),
  z.object({
    state: z.literal('failed'),
    startedAt: z.number(),
    /** Chat-safe: the broker's refusal, as the first run reported it. */
    message: z.string(),
  }),
]);

export type IntentRecord = z.infer<typeof intentRecordSchema>;

// KEYS[1] owners hash; ARGV[1] order id, ARGV[2] intent id, ARGV[3] ttl s.
// 1 when the intent owns the order now (again), 0 when another does.
const CLAIM_ORDER = `
local owner = redis.call('HGET', KEYS[1], ARGV[1])
if owner == false then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  return 1
end
if owner == ARGV[2] then return 1 end
return 0`;

export interface IntentStore {
  /**
   * Claims the intent for sending. @returns null when this caller now owns
   * it, else the record someone else left.
   */
  claim(
    intentId: string,
    attempt: { startedAt: number; jobId: string | null },
  ): Promise<IntentRecord | null>;
  read(intentId: string): Promise<IntentRecord | null>;
  write(intentId: string, record: IntentRecord): Promise<void>;
  /** Forgets a claim whose POST never went out. */
  release(intentId: string): Promise<void>;
  /**
   * Unless trading is halted, marks the intent's POST as about to leave,
   * in the same atomic step as the halt check, for /panic to wait on.
   * @returns false when halted: the POST must not go out.
   */
  enterPlacing(intentId: string): Promise<boolean>;
  /** The POST settled (answered, failed or timed out). */
  endPlacing(intentId: string): Promise<void>;
  /** POSTs marked within `maxAgeMs` (default PLACING_STALE_MS) and not ended. */
  placingCount(maxAgeMs?: number): Promise<number>;
  /**
   * Makes `intentId` the owner of `orderId`, in one atomic step.
   * @returns false when the order already belongs to another intent.
   */
  claimOrder(orderId: string, intentId: string): Promise<boolean>;
  /** Order ids that belong to intents other than `exceptIntentId`. */
  claimedOrders(exceptIntentId?: string): Promise<Set<string>>;
}

export function createIntentStore(redis: Redis, prefix: string): IntentStore {
  const keys = stateKeys(prefix);

  const parse = (raw: string | null): IntentRecord | null => {
    if (raw === null) return null;
    const result = intentRecordSchema.safeParse(JSON.parse(raw));
    // A record we cannot read still proves an attempt happened: treat it
    // as "sent, id unknown" so nothing posts again.
    return result.success
      ? result.data
      : { state: 'unknown', startedAt: 0, detail: 'unreadable record' };
  };

  return {
    async claim(intentId, attempt) {
      const record: IntentRecord = { state: 'sending', ...attempt };
      const key = keys.intent(intentId);
      const claimed = await redis.set(
        key,
        JSON.stringify(record),
        'EX',
        INTENT_TTL_S,
        'NX',
      );
      if (claimed === 'OK') return null;
      return parse(await redis.get(key));
    },

    async read(intentId) {
      return parse(await redis.get(keys.intent(intentId)));
    },

    async write(intentId, record) {
      await redis.set(
        keys.intent(intentId),
        JSON.stringify(record),
        'EX',
        INTENT_TTL_S,
      );
    },

    async release(intentId) {
      await redis.del(keys.intent(intentId));
    },

    async enterPlacing(intentId) {
      const entered = (await redis.eval(
        ENTER_PLACING,
        2,
        haltKey(prefix),
        keys.placing,
        intentId,
        PLACING_FORGET_MS,
      )) as number;
      return entered === 1;
    },

    async endPlacing(intentId) {
      await redis.zrem(keys.placing, intentId);
    },

    async placingCount(maxAgeMs = PLACING_STALE_MS) {
      return (await redis.eval(
        COUNT_PLACING,
        1,
        keys.placing,
        maxAgeMs,
      )) as number;
    },

    async claimOrder(orderId, intentId) {
      const owned = (await redis.eval(
        CLAIM_ORDER,
        1,
        keys.orderOwners,
        orderId,
        intentId,
        INTENT_TTL_S,
      )) as number;
      return owned === 1;
    },

    async claimedOrders(exceptIntentId) {
      const owners = await redis.hgetall(keys.orderOwners);
      return new Set(
        Object.entries(owners)
          .filter(([, owner]) => owner !== exceptIntentId)
          .map(([orderId]) => orderId),
      );
    },
  };
}
