import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { startAlertConsumer } from '../../src/alerts/consumer.ts';
import {
  createAlertQueue,
  enqueueAlert,
} from '../../src/alerts/enqueue-alert.ts';
import type {
  AlertJobData,
  DeliverAlert,
  DeliveryReport,
} from '../../src/queue/jobs.ts';
import { testLogger, waitFor } from '../support/queue-harness.ts';
import {
  connectRedis,
  deleteKeys,
  TEST_REDIS_URL,
  uniquePrefix,
} from '../support/redis.ts';

const alert = (detail: string): AlertJobData => ({
  event: { kind: 'broker', change: 'offline', detail },
  mode: 'paper',
  at: Date.now(),
});

/**
 * A deliverer with a fixed audience whose chats can be told to fail:
 * `flaky` chats fail retryably on their first N tries, `blocked` chats
 * are dropped. It records every send.
 */
function fakeDeliverer(options: {
  chats: number[];
  flaky?: Map<number, number>;
  blocked?: Set<number>;
}) {
  const sends: { detail: string; chat: number }[] = [];
  const skips: number[][] = [];
  const deliver: DeliverAlert = (data, skipChats) => {
    skips.push([...skipChats].sort());
    const report: DeliveryReport = { delivered: [], retry: [], dropped: [] };
    for (const chat of options.chats) {
      if (skipChats.includes(chat)) continue;
      const left = options.flaky?.get(chat) ?? 0;
      if (left > 0) {
        options.flaky?.set(chat, left - 1);
        report.retry.push(chat);
      } else if (options.blocked?.has(chat) === true) {
        report.dropped.push(chat);
      } else {
        sends.push({
          detail: data.event.kind === 'broker' ? data.event.detail : '',
          chat,
        });
        report.delivered.push(chat);
      }
    }
    return Promise.resolve(report);
  };
  return { deliver, sends, skips };
}

describe('alert consumer', { timeout: 30_000 }, () => {
  let redis: Redis;
  let prefix: string;
  let queue: Queue<AlertJobData>;

  before(() => {
    redis = connectRedis();
    prefix = uniquePrefix('alerts');
    queue = createAlertQueue(redis, prefix);
  });
  after(async () => {
    await queue.close();
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('retries only the chat that failed, never re-sending to the others', async () => {
    const d = fakeDeliverer({
      chats: [1, 2, 3, 4],
      flaky: new Map([[2, 2]]),
      blocked: new Set([4]),
    });
    const consumer = await startAlertConsumer({
      redisUrl: TEST_REDIS_URL,
      prefix,
      logger: testLogger(),
      deliver: d.deliver,
    });
    try {
      await enqueueAlert(queue, alert('retry-case'), 'retry-case', {
        backoffMs: 50,
      });
      await waitFor('the alert to complete', async () => {
        return (await queue.getJobState('retry-case')) === 'completed';
      });
      const sends = d.sends.filter((s) => s.detail === 'retry-case');
      assert.deepEqual(sends.map((s) => s.chat).sort(), [1, 2, 3]);
      // Attempt 1 skips nobody; later ones skip the delivered and dropped.
      assert.deepEqual(d.skips, [[], [1, 3, 4], [1, 3, 4]]);
      const job = await queue.getJob('retry-case');
      assert.equal(job?.attemptsMade, 3);
    } finally {
      await consumer.close();
    }
  });

  it('keeps an undeliverable alert as a failed job, not lost', async () => {
    const d = fakeDeliverer({ chats: [1], flaky: new Map([[1, 99]]) });
    const consumer = await startAlertConsumer({
      redisUrl: TEST_REDIS_URL,
      prefix,
      logger: testLogger(),
      deliver: d.deliver,
    });
    try {
      await enqueueAlert(queue, alert('give-up'), 'give-up', {
        attempts: 2,
        backoffMs: 20,
      });
      await waitFor('the alert to fail', async () => {
        return (await queue.getJobState('give-up')) === 'failed';
      });
      const job = await queue.getJob('give-up');
      assert.match(job?.failedReason ?? '', /not yet delivered to 1 chat/);
    } finally {
      await consumer.close();
    }
  });

  it('delivers an alert queued while no consumer ran, once, across a restart', async () => {
    const d = fakeDeliverer({ chats: [7, 8] });
    await enqueueAlert(queue, alert('while-down'), 'while-down');
    // Enqueued twice (two watchers): one job.
    await enqueueAlert(queue, alert('while-down'), 'while-down');

    const first = await startAlertConsumer({
      redisUrl: TEST_REDIS_URL,
      prefix,
      logger: testLogger(),
      deliver: d.deliver,
    });
    await waitFor('delivery', async () => {
      return (await queue.getJobState('while-down')) === 'completed';
    });
    await first.close();
    const second = await startAlertConsumer({
      redisUrl: TEST_REDIS_URL,
      prefix,
      logger: testLogger(),
      deliver: d.deliver,
    });
    await enqueueAlert(queue, alert('while-down'), 'while-down');
    await new Promise((r) => setTimeout(r, 200));
    await second.close();

    assert.deepEqual(
      d.sends.filter((s) => s.detail === 'while-down').map((s) => s.chat),
      [7, 8],
    );
  });
});
