import type { Redis } from 'ioredis';
import { z } from 'zod';
import { stateKeys } from './keys.ts';

/**
 * The idempotency record of one confirmed order intent. It is claimed
 * (SET NX) before the order POST, so whatever runs the same intent again
 * (a duplicate job, a re-run after a crash, a second worker) finds it and
 * reconciles against the order book instead of posting a second time.
 */

/** Records outlive any retry, redelivery or restart of one trading day. */
const INTENT_TTL_S = 7 * 24 * 3600;

/** A "placing" entry older than this belongs to a worker that died. */
export const PLACING_STALE_MS = 60_000;

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
  /** Marks a POST as possibly in flight, for /panic to wait on. */
  startPlacing(intentId: string): Promise<void>;
  endPlacing(intentId: string): Promise<void>;
  /** Intents that may be mid-POST right now (stale entries ignored). */
  placingCount(): Promise<number>;
  /** @returns false when the order id already belongs to another intent. */
  claimOrder(orderId: string): Promise<boolean>;
  claimedOrders(): Promise<Set<string>>;
}

export function createIntentStore(
  redis: Redis,
  prefix: string,
  now: () => number,
): IntentStore {
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

    async startPlacing(intentId) {
      await redis.zadd(keys.placing, now(), intentId);
    },

    async endPlacing(intentId) {
      await redis.zrem(keys.placing, intentId);
    },

    async placingCount() {
      return redis.zcount(keys.placing, now() - PLACING_STALE_MS, '+inf');
    },

    async claimOrder(orderId) {
      const added = await redis.sadd(keys.claimedOrders, orderId);
      await redis.expire(keys.claimedOrders, INTENT_TTL_S);
      return added === 1;
    },

    async claimedOrders() {
      return new Set(await redis.smembers(keys.claimedOrders));
    },
  };
}
