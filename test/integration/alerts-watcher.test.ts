import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createAlertQueue } from '../../src/alerts/enqueue-alert.ts';
import { markOrderActivity } from '../../src/alerts/order-activity.ts';
import {
  createOrderWatcher,
  type OrderWatcher,
} from '../../src/alerts/watcher.ts';
import type { AlertJobData } from '../../src/queue/jobs.ts';
import { FakeBrokerClient, istText } from '../support/fake-broker-client.ts';
import { startHarness, testLogger, waitFor } from '../support/queue-harness.ts';
import { connectRedis, deleteKeys, uniquePrefix } from '../support/redis.ts';

/** The alerts queue's jobs as `id change` lines, oldest first. */
async function alertLines(queue: Queue<AlertJobData>): Promise<string[]> {
  const jobs = await queue.getJobs(['waiting', 'delayed', 'completed']);
  return jobs
    .sort((a, b) => a.timestamp - b.timestamp)
    .map(
      (j) =>
        `${j.id} ${j.data.event.kind === 'order' ? j.data.event.change : ''}`,
    );
}

describe('order watcher', { timeout: 30_000 }, () => {
  let redis: Redis;
  let prefix: string;
  let client: FakeBrokerClient;
  let alerts: Queue<AlertJobData>;
  let watcher: OrderWatcher;
  const makeWatcher = () =>
    createOrderWatcher({
      redis,
      prefix,
      client,
      alerts,
      logger: testLogger(),
      mode: 'paper',
    });

  before(() => {
    redis = connectRedis();
  });
  after(async () => {
    await alerts.close();
    await deleteKeys(redis, prefix);
    await redis.quit();
  });
  beforeEach(async () => {
    if (alerts !== undefined) {
      await alerts.close();
      await deleteKeys(redis, prefix);
    }
    prefix = uniquePrefix('watch');
    client = new FakeBrokerClient();
    alerts = createAlertQueue(redis, prefix);
    watcher = makeWatcher();
  });

  it('looks once at start, then idles at the slow pace, and reads nothing offline', async () => {
    client.addOrder({ symbol: 'INFY', state: 'filled', filledQuantity: 10 });
    assert.deepEqual(await watcher.tick(), { polled: true, changes: [] });
    assert.deepEqual(await alertLines(alerts), [], 'the day is not replayed');
    assert.deepEqual(await watcher.tick(), {
      polled: false,
      reason: 'idle',
      changes: [],
    });
    assert.equal(client.count('orders'), 1);
    client.online = false;
    await markOrderActivity(redis, prefix, { now: Date.now() });
    assert.equal((await watcher.tick()).reason, 'offline');
    assert.equal(client.count('orders'), 1);
  });

  it('finds the strategy’s orders while idle and alerts those newer than its last look', async () => {
    let t = Date.now();
    const clock = () => t;
    client = new FakeBrokerClient(clock);
    const make = () =>
      createOrderWatcher({
        redis,
        prefix,
        client,
        alerts,
        logger: testLogger(),
        mode: 'paper',
        now: clock,
        idlePollMs: 15_000,
      });
    watcher = make();
    client.addOrder({
      symbol: 'INFY',
      state: 'filled',
      filledQuantity: 10,
      placedAt: istText(t - 10 * 60_000),
    });
    assert.equal((await watcher.tick()).polled, true);

    // Placed by the strategy between two looks: one filled at once, one
    // still working.
    t += 5_000;
    const filled = client.addOrder({
      symbol: 'TCS',
      state: 'filled',
      filledQuantity: 10,
    });
    const working = client.addOrder({ symbol: 'SBIN', quantity: 10 });
    assert.equal((await watcher.tick()).reason, 'idle');
    t += 11_000;
    assert.equal((await watcher.tick()).polled, true);
    assert.deepEqual(await alertLines(alerts), [
      `${filled.orderId}:filled:10 filled`,
    ]);

    // The open one is watched on every tick now, and alerted as it fills.
    t += 1_000;
    client.fill(working.orderId);
    assert.equal((await watcher.tick()).polled, true);

    // A restart looks again and replays nothing.
    t += 20_000;
    watcher = make();
    assert.equal((await watcher.tick()).polled, true);
    assert.deepEqual(await alertLines(alerts), [
      `${filled.orderId}:filled:10 filled`,
      `${working.orderId}:filled:10 filled`,
    ]);
  });

  it('alerts a partial fill, then the full fill, once each', async () => {
    await markOrderActivity(redis, prefix, { now: Date.now() });
    const order = client.addOrder({ symbol: 'INFY', quantity: 10 });
    await watcher.tick(); // first sight: open, nothing filled

    client.fill(order.orderId, 4);
    await watcher.tick();
    await watcher.tick(); // nothing moved
    client.fill(order.orderId);
    await watcher.tick();
    await watcher.tick();

    assert.deepEqual(await alertLines(alerts), [
      `${order.orderId}:open:4 partial`,
      `${order.orderId}:filled:10 filled`,
    ]);
  });

  it('keeps polling while an order is open, without any activity mark', async () => {
    await markOrderActivity(redis, prefix, { now: Date.now() });
    const order = client.addOrder({ symbol: 'TCS' });
    await watcher.tick();
    await redis.del(`${prefix}:watch:activity`);

    client.reject(order.orderId, 'RMS: FUND LIMIT INSUFFICIENT');
    const tick = await watcher.tick();
    assert.equal(tick.polled, true);
    assert.deepEqual(await alertLines(alerts), [
      `${order.orderId}:rejected:0 rejected`,
    ]);
    // Nothing open any more: the next tick reads nothing.
    assert.equal((await watcher.tick()).reason, 'idle');
  });

  it('alerts each change once with two watchers ticking together', async () => {
    await markOrderActivity(redis, prefix, { now: Date.now() });
    const other = makeWatcher();
    const a = client.addOrder({ symbol: 'INFY', quantity: 10 });
    const b = client.addOrder({ symbol: 'SBIN', quantity: 5 });
    await Promise.all([watcher.tick(), other.tick()]);

    client.fill(a.orderId, 3);
    client.reject(b.orderId, 'EXCH: price band');
    await Promise.all([watcher.tick(), other.tick(), watcher.tick()]);
    client.fill(a.orderId);
    await Promise.all([other.tick(), watcher.tick()]);
    await Promise.all([other.tick(), watcher.tick()]);

    assert.deepEqual((await alertLines(alerts)).sort(), [
      `${a.orderId}:filled:10 filled`,
      `${a.orderId}:open:3 partial`,
      `${b.orderId}:rejected:0 rejected`,
    ]);
  });

  it('records old closed orders it never saw open without alerting', async () => {
    await markOrderActivity(redis, prefix, { now: Date.now() });
    client.addOrder({ symbol: 'INFY', state: 'filled', filledQuantity: 10 });
    client.addOrder({ symbol: 'TCS', state: 'cancelled' });
    const tick = await watcher.tick();
    assert.equal(tick.polled, true);
    assert.deepEqual(await alertLines(alerts), []);
  });

  it('keeps an order whose row turned unreadable, and alerts its fill later', async () => {
    await markOrderActivity(redis, prefix, { now: Date.now() });
    const order = client.addOrder({ symbol: 'INFY' });
    await watcher.tick();

    // The order's row does not fit for one read: not "gone".
    client.clearBook();
    client.unreadableRows = 1;
    assert.equal((await watcher.tick()).polled, true);

    client.unreadableRows = 0;
    client.addOrder({ ...order, state: 'filled', filledQuantity: 10 });
    await watcher.tick();
    assert.deepEqual(await alertLines(alerts), [
      `${order.orderId}:filled:10 filled`,
    ]);
  });

  it('skips a tick whose book read fails and catches up on the next', async () => {
    await markOrderActivity(redis, prefix, { now: Date.now() });
    const order = client.addOrder({ symbol: 'INFY' });
    await watcher.tick();
    client.fill(order.orderId);
    client.failNext('orders', new Error('socket hang up'));
    assert.equal((await watcher.tick()).reason, 'book-unreadable');
    await watcher.tick();
    assert.deepEqual(await alertLines(alerts), [
      `${order.orderId}:filled:10 filled`,
    ]);
  });
});

describe('fill watcher behind the workers', { timeout: 30_000 }, () => {
  it('alerts a rejection right after placement once, from the scheduled ticks', async () => {
    const h = await startHarness('watch-e2e', {
      watchOrders: true,
      orderPollMs: 200,
    });
    try {
      h.client.scriptPlace({
        kind: 'ok',
        state: 'rejected',
        statusMessage: 'RMS: FUND LIMIT INSUFFICIENT',
      });
      const outcome = await h.gateway.call('place-order', {
        intentId: 'fr05',
        requestedBy: 5,
        request: {
          exchange: 'NSE',
          symbol: 'RELIANCE',
          side: 'BUY',
          quantity: 1,
          orderType: 'LIMIT',
          price: 2500,
          product: 'CNC',
          tag: 'fr05',
        },
      });
      assert.equal(outcome.status, 'done');
      const orderId =
        outcome.status === 'done' && outcome.value.outcome === 'submitted'
          ? outcome.value.orderId
          : '';

      await waitFor('the rejection alert', async () => {
        const jobs = await h.alertJobs();
        return jobs.some((j) => j.id === `${orderId}:rejected:0`);
      });
      // Several more ticks: still one alert.
      const ticks = h.client.count('orders');
      await waitFor(
        'three more ticks',
        () => h.client.count('orders') >= ticks + 3,
      );
      const jobs = await h.alertJobs();
      assert.deepEqual(
        jobs.map((j) => j.id),
        [`${orderId}:rejected:0`],
      );
      const event = jobs[0]?.data.event;
      assert.ok(event?.kind === 'order');
      assert.equal(event.change, 'rejected');
      assert.equal(event.order.statusMessage, 'RMS: FUND LIMIT INSUFFICIENT');
    } finally {
      await h.close();
    }
  });
});
