import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BrokerError } from '../../src/mstock/errors.ts';
import {
  createBrokerGateway,
  NO_ANSWER_MESSAGE,
  QUEUE_DOWN_MESSAGE,
  QueueUnavailableError,
} from '../../src/queue/gateway.ts';
import type { CallOutcome } from '../../src/queue/jobs.ts';
import {
  startHarness,
  testLogger,
  type Harness,
} from '../support/queue-harness.ts';
import {
  connectRedis,
  deleteKeys,
  TEST_REDIS_URL,
  uniquePrefix,
} from '../support/redis.ts';

const INFY = { instruments: [{ exchange: 'NSE' as const, symbol: 'INFY' }] };

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

function expectDone<R>(outcome: CallOutcome<R>): R {
  assert.equal(outcome.status, 'done', JSON.stringify(outcome));
  return (outcome as { value: R }).value;
}

describe('broker gateway', { timeout: 30_000 }, () => {
  let h: Harness;

  before(async () => {
    h = await startHarness('gateway');
  });
  after(async () => {
    await h.close();
  });

  it('returns the result of a job that ends before the deadline', async () => {
    const funds = expectDone(await h.gateway.call('funds', {}));
    assert.equal(funds.availableCash, 100_000);
  });

  it('returns the chat-safe failure of a failed job', async () => {
    h.client.failNext(
      'funds',
      new BrokerError('auth', 'The broker refused the API key; renew it.'),
    );
    const outcome = await h.gateway.call('funds', {});
    assert.deepEqual(outcome, {
      status: 'failed',
      message: 'The broker refused the API key; renew it.',
    });
  });

  it('answers pending past the deadline and settles when the job ends', async () => {
    h.client.delays.holdings = 600;
    try {
      const started = Date.now();
      const outcome = await h.gateway.call('holdings', {}, { deadlineMs: 100 });
      assert.equal(outcome.status, 'pending');
      assert.ok(Date.now() - started < 500, 'answered at the deadline');
      assert.ok(outcome.status === 'pending' && outcome.jobId !== '');
      const settled =
        outcome.status === 'pending' ? await outcome.settled : outcome;
      assert.deepEqual(settled, { status: 'done', value: [] });
    } finally {
      delete h.client.delays.holdings;
    }
  });

  it('runs a job id once, however often it is called', async () => {
    const before = h.client.count('quotes');
    h.client.delays.quotes = 200;
    try {
      const [a, b] = await Promise.all([
        h.gateway.call('quote', INFY, { jobId: 'q-once' }),
        h.gateway.call('quote', INFY, { jobId: 'q-once' }),
      ]);
      // Long after it finished: the stored result, not a new run.
      const c = await h.gateway.call('quote', INFY, { jobId: 'q-once' });
      assert.deepEqual(expectDone(a), expectDone(b));
      assert.deepEqual(expectDone(c), expectDone(a));
      assert.equal(h.client.count('quotes') - before, 1);
    } finally {
      delete h.client.delays.quotes;
    }
  });

  it('refuses invalid data without enqueuing anything', async () => {
    const before = h.client.calls.length;
    const outcome = await h.gateway.call('quote', {
      instruments: [{ exchange: 'NSE', symbol: 'bad symbol!' }],
    } as never);
    assert.equal(outcome.status, 'failed');
    assert.match(
      outcome.status === 'failed' ? outcome.message : '',
      /not valid \(instruments\.0\.symbol/,
    );
    assert.equal(h.client.calls.length, before);
  });

  it('reports queue depth', async () => {
    const depth = await h.gateway.depth();
    assert.deepEqual(Object.keys(depth).sort(), [
      'active',
      'delayed',
      'waiting',
    ]);
  });
});

describe('broker gateway without workers', { timeout: 30_000 }, () => {
  const prefixes: string[] = [];
  const fresh = (label: string) => {
    const prefix = uniquePrefix(label);
    prefixes.push(prefix);
    return prefix;
  };
  after(async () => {
    const redis = connectRedis();
    for (const prefix of prefixes) await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('counts waiting jobs and gives up after the settle cap', async () => {
    const gateway = await createBrokerGateway({
      redisUrl: TEST_REDIS_URL,
      prefix: fresh('gw-idle'),
      logger: testLogger(),
      settleCapMs: 400,
    });
    try {
      const outcome = await gateway.call('funds', {}, { deadlineMs: 50 });
      assert.equal(outcome.status, 'pending');
      const depth = await gateway.depth();
      assert.equal(depth.waiting, 1);
      const settled =
        outcome.status === 'pending' ? await outcome.settled : outcome;
      assert.deepEqual(settled, {
        status: 'failed',
        message: NO_ANSWER_MESSAGE,
      });
    } finally {
      await gateway.close();
    }
  });

  it('ends a pending wait when it closes, leaving no timer behind', async () => {
    const gateway = await createBrokerGateway({
      redisUrl: TEST_REDIS_URL,
      prefix: fresh('gw-close'),
      logger: testLogger(),
    });
    const outcome = await gateway.call('funds', {}, { deadlineMs: 50 });
    assert.equal(outcome.status, 'pending');
    const started = Date.now();
    await gateway.close();
    const settled =
      outcome.status === 'pending' ? await outcome.settled : outcome;
    assert.deepEqual(settled, { status: 'failed', message: NO_ANSWER_MESSAGE });
    assert.ok(Date.now() - started < 2_000);
  });

  it('answers fast that the queue is unreachable when Redis is down', async () => {
    const port = await closedPort();
    const started = Date.now();
    const gateway = await createBrokerGateway({
      redisUrl: `redis://127.0.0.1:${port}`,
      prefix: uniquePrefix('gw-down'),
      logger: testLogger(),
    });
    try {
      const outcome = await gateway.call('place-order', {
        intentId: 'i-down',
        requestedBy: 1,
        request: {
          exchange: 'NSE',
          symbol: 'INFY',
          side: 'BUY',
          quantity: 1,
          orderType: 'MARKET',
          product: 'CNC',
          tag: 'i-down',
        },
      });
      assert.deepEqual(outcome, {
        status: 'failed',
        message: QUEUE_DOWN_MESSAGE,
      });
      await assert.rejects(gateway.depth(), QueueUnavailableError);
      assert.ok(
        Date.now() - started < 5_000,
        `took ${Date.now() - started} ms`,
      );
    } finally {
      const closing = Date.now();
      await gateway.close();
      assert.ok(Date.now() - closing < 2_000, 'close does not hang');
    }
  });

  it('answers a single call in under two seconds when Redis is down', async () => {
    const port = await closedPort();
    const gateway = await createBrokerGateway({
      redisUrl: `redis://127.0.0.1:${port}`,
      prefix: uniquePrefix('gw-down'),
      logger: testLogger(),
    });
    try {
      const started = Date.now();
      const outcome = await gateway.call('funds', {});
      assert.equal(outcome.status, 'failed');
      assert.ok(
        Date.now() - started < 2_000,
        `took ${Date.now() - started} ms`,
      );
    } finally {
      await gateway.close();
    }
  });
});
