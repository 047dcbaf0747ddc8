import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/logger.ts';
import { ControlState } from '../../src/queue/control-state.ts';
import {
  createBrokerGateway,
  QUEUE_DOWN_MESSAGE,
} from '../../src/queue/gateway.ts';
import { startBrokerWorkers } from '../../src/queue/worker.ts';
import { FakeBrokerClient } from '../support/fake-broker-client.ts';
import { waitFor } from '../support/queue-harness.ts';

/**
 * A Redis of our own, so it can be stopped and started again without
 * touching the shared one: workers must pick up jobs after it returns,
 * and the bot must answer "queue unavailable" while it is away.
 */

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: 'ignore' },
  );
  // Ready when it answers PING; it starts in a few milliseconds.
  const deadline = Date.now() + 5_000;
  for (;;) {
    const probe = new Redis(port, '127.0.0.1', {
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw err;
      }
      await sleep(20);
    } finally {
      probe.disconnect();
    }
  }
  return child;
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('a Redis restart', { timeout: 30_000 }, () => {
  it('stops the gateway fast while down; the workers resume after', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    let server = await startRedis(port);

    const lines: { msg?: string; redis_connection?: string }[] = [];
    const logger = createLogger('info', {
      write: (line: string) =>
        void lines.push(JSON.parse(line) as (typeof lines)[0]),
    });
    const controlRedis = new Redis(url, { maxRetriesPerRequest: null });
    controlRedis.on('error', () => undefined);
    const control = new ControlState(controlRedis, 'rr');
    const client = new FakeBrokerClient();
    const workers = await startBrokerWorkers({
      redisUrl: url,
      prefix: 'rr',
      client,
      control,
      logger,
      mode: 'paper',
      orderPollMs: 60_000,
      watchOrders: false,
    });
    const gateway = await createBrokerGateway({
      redisUrl: url,
      prefix: 'rr',
      logger,
    });
    // BullMQ console.error()s an 'error' event nobody listens to: during
    // the outage that would be one raw stack per reconnect attempt.
    const printed: unknown[] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => void printed.push(args[0]);
    try {
      assert.equal((await gateway.call('funds', {})).status, 'done');

      await stopRedis(server);
      const started = Date.now();
      assert.deepEqual(await gateway.call('funds', {}), {
        status: 'failed',
        message: QUEUE_DOWN_MESSAGE,
      });
      assert.ok(Date.now() - started < 2_500, 'answered fast');
      await sleep(2_000); // an outage: every connection retries meanwhile

      server = await startRedis(port);
      await waitFor(
        'a job to run after the restart',
        async () => (await gateway.call('funds', {})).status === 'done',
        15_000,
      );
      const quote = await gateway.call('quote', {
        instruments: [{ exchange: 'NSE', symbol: 'INFY' }],
      });
      assert.equal(quote.status, 'done');

      // One error line per connection for the whole outage.
      const errors = lines.filter((l) => l.msg === 'redis connection error');
      const perConnection = new Map<string, number>();
      for (const l of errors) {
        const name = l.redis_connection ?? '?';
        perConnection.set(name, (perConnection.get(name) ?? 0) + 1);
      }
      assert.ok(errors.length > 0, 'the outage was logged');
      for (const [name, count] of perConnection) {
        assert.equal(count, 1, `${name} logged ${count} lines`);
      }
      assert.deepEqual(printed, [], 'no unlistened error reached stderr');
    } finally {
      console.error = consoleError;
      await gateway.close();
      await workers.close({ force: true });
      controlRedis.disconnect();
      await stopRedis(server);
    }
  });
});
