/**
 * Redis keys this area writes besides BullMQ's own, all under the
 * configured prefix so one Redis can hold several deployments (and tests).
 */
export function stateKeys(prefix: string) {
  return {
    /** Idempotency record of one confirmed order intent (JSON). */
    intent: (intentId: string) => `${prefix}:intent:${intentId}`,
    /** Intents between "about to POST" and "outcome recorded" (zset, ms). */
    placing: `${prefix}:intent:placing`,
    /**
     * Order id -> the intent that claimed it (hash), so no two intents
     * share one order.
     */
    orderOwners: `${prefix}:intent:order-owners`,
    /** Last order-book snapshot: order id -> "state|filled". */
    watchSnapshot: `${prefix}:watch:snapshot`,
    /** Epoch ms when the watcher's last successful book read began. */
    watchLastPoll: `${prefix}:watch:last-poll`,
    /** Held by the one watcher tick running now (token, expiring). */
    watchLock: `${prefix}:watch:lock`,
    /** Exists while orders may be moving: the watcher polls the book. */
    watchActivity: `${prefix}:watch:activity`,
    /** Orders this product placed, scored by placement time (ms). */
    watchOurs: `${prefix}:watch:ours`,
    /** Worker id -> its broker view, "1:ms" or "0:ms" (hash). */
    brokerViews: `${prefix}:broker:views`,
    /** Last published aggregate online flag ("1" / "0"). */
    brokerOnline: `${prefix}:broker:online`,
    /** Counts online/offline transitions; numbers their alert job ids. */
    brokerTransitions: `${prefix}:broker:transitions`,
    /** Set while a login-failed alert was sent recently. */
    loginFailedAlerted: `${prefix}:broker:login-failed-alerted`,
  };
}

export type StateKeys = ReturnType<typeof stateKeys>;
