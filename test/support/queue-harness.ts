import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { createLogger, type Logger } from '../../src/logger.ts';
import { ControlState } from '../../src/queue/control-state.ts';
import { createBrokerGateway } from '../../src/queue/gateway.ts';
import type { AlertJobData, BrokerGateway } from '../../src/queue/jobs.ts';
import {
  startBrokerWorkers,
  type BrokerWorkers,
  type StartBrokerWorkersOptions,
} from '../../src/queue/worker.ts';
import { FakeBrokerClient } from './fake-broker-client.ts';
import {
  connectRedis,
  deleteKeys,
  TEST_REDIS_URL,
  uniquePrefix,
} from './redis.ts';

/**
 * Real Redis, real BullMQ workers and gateway, a fake broker: the queue
 * tests' common set-up. Everything is under a fresh prefix and removed by
 * `close()`. TEST_LOG_LEVEL=debug shows the product's logs.
 */

export function testLogger(): Logger {
  return createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
}

export interface Harness {
  prefix: string;
  redis: Redis;
  control: ControlState;
  client: FakeBrokerClient;
  logger: Logger;
  gateway: BrokerGateway;
  workers: BrokerWorkers;
  /** Starts one more worker process' worth of workers on the prefix. */
  addWorkers(
    overrides?: Partial<StartBrokerWorkersOptions>,
  ): Promise<BrokerWorkers>;
  alertJobs(): Promise<Job<AlertJobData>[]>;
  close(): Promise<void>;
}

export async function startHarness(
  label: string,
  overrides: Partial<StartBrokerWorkersOptions> = {},
): Promise<Harness> {
  const prefix = uniquePrefix(label);
  const redis = connectRedis();
  const logger = testLogger();
  const control = new ControlState(redis, prefix);
  const client =
    (overrides.client as FakeBrokerClient | undefined) ??
    new FakeBrokerClient();
  const started: BrokerWorkers[] = [];

  const addWorkers = async (more: Partial<StartBrokerWorkersOptions> = {}) => {
    const workers = await startBrokerWorkers({
      redisUrl: TEST_REDIS_URL,
      prefix,
      client,
      control,
      logger,
      mode: 'paper',
      orderPollMs: 60_000,
      watchOrders: false,
      ...overrides,
      ...more,
    });
    started.push(workers);
    return workers;
  };
  const workers = await addWorkers();
  const gateway = await createBrokerGateway({
    redisUrl: TEST_REDIS_URL,
    prefix,
    logger,
  });
  const alerts = new Queue<AlertJobData>('alerts', {
    connection: redis,
    prefix,
  });

  return {
    prefix,
    redis,
    control,
    client,
    logger,
    gateway,
    workers,
    addWorkers,
    alertJobs: () =>
      alerts.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed']),
    async close() {
      await gateway.close();
      for (const w of started) await w.close({ force: true });
      await alerts.close();
      await deleteKeys(redis, prefix);
      await redis.quit();
    },
  };
}

/** Polls `check` until it holds; fails after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await sleep(25);
  }
}
