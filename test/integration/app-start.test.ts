import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { startApp } from '../../src/app.ts';
import { FakeBotApi } from '../support/fake-bot-api.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import {
  connectRedis,
  deleteKeys,
  TEST_REDIS_URL,
  uniquePrefix,
} from '../support/redis.ts';

/** The composition root as `npm start` runs it, minus the process. */

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

const logger = createLogger('silent');

describe('starting the app', { timeout: 60_000 }, () => {
  const redis = connectRedis();
  const prefixes: string[] = [];
  const config = (extra: Record<string, string> = {}) => {
    const prefix = uniquePrefix('app');
    prefixes.push(prefix);
    return loadConfig({
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'silent',
      ...extra,
    });
  };

  after(async () => {
    for (const prefix of prefixes) await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('stops at once with a clear line when Redis is not there', async () => {
    const port = await closedPort();
    const started = Date.now();
    await assert.rejects(
      startApp(config({ REDIS_URL: `redis://:secret@127.0.0.1:${port}` }), {
        role: 'all',
        logger,
      }),
      (err: Error) => {
        assert.match(err.message, /Redis is not reachable at redis:\/\/127/);
        assert.doesNotMatch(err.message, /secret/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 8_000);
  });

  it('runs one paper worker per prefix and tells a second one why not', async () => {
    const shared = config();
    const first = await startApp(shared, { role: 'worker', logger });
    try {
      await assert.rejects(
        startApp(shared, { role: 'worker', logger }),
        /another paper-mode worker already runs the simulator/,
      );
    } finally {
      await first.stop();
    }
    const again = await startApp(shared, { role: 'worker', logger });
    await again.stop();
  });

  it('polls again after a 409 Conflict instead of going deaf', async () => {
    const api = await new FakeBotApi().start();
    const conflict = JSON.parse(
      readFileSync(
        'test/fixtures/telegram-updates/conflict-error.json',
        'utf8',
      ),
    ) as { error_code: number; description: string };
    api.failNext('getUpdates', conflict);
    const app = await startApp(
      config({
        TELEGRAM_BOT_TOKEN: '123456:TEST-token_for_the_fake_bot_api',
        TELEGRAM_API_ROOT: api.url,
        TELEGRAM_USERS: '111111111:admin',
      }),
      { role: 'bot', logger, pollRetryMs: 300 },
    );
    try {
      api.push({
        message: {
          message_id: 1,
          date: Math.floor(Date.now() / 1000),
          chat: { id: 111111111, type: 'private', first_name: 'A' },
          from: { id: 111111111, is_bot: false, first_name: 'A' },
          text: '/help',
          entities: [{ type: 'bot_command', offset: 0, length: 5 }],
        },
      });
      await api.waitForText(/\/quote/, {
        chatId: 111111111,
        timeoutMs: 10_000,
      });
    } finally {
      await app.stop();
      await api.close();
    }
  });

  it('keeps the paper account across a restart', async () => {
    const shared = config();
    /** Sends each line once the previous one's answer is printed. */
    const session = async (steps: [line: string, answer: RegExp][]) => {
      const input = new PassThrough();
      const output = new PassThrough();
      let printed = '';
      output.on('data', (chunk: Buffer) => (printed += chunk.toString()));
      const app = await startApp(shared, {
        role: 'all',
        logger,
        simulator: { tickMs: 0, seed: 5 },
        terminal: { input, output },
      });
      try {
        for (const [line, answer] of steps) {
          input.write(`${line}\n`);
          const deadline = Date.now() + 20_000;
          while (!answer.test(printed) && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 50));
          }
        }
        return printed;
      } finally {
        await app.stop();
      }
    };
    const first = await session([
      ['/buy INFY 3', /type the number/],
      ['1', /submitted/],
    ]);
    const orderId = /Order (\d+) submitted/.exec(first)?.[1];
    assert.ok(orderId, `no order id in:\n${first}`);
    const second = await session([['/orders', /Today's orders/]]);
    assert.match(second, new RegExp(orderId));
  });

  it('answers the terminal chat on a fresh start with nothing set', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let printed = '';
    output.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const app = await startApp(config(), {
      role: 'all',
      logger,
      simulator: { tickMs: 0, seed: 3 },
      terminal: { input, output },
    });
    try {
      input.write('/quote INFY\n');
      input.write('/funds\n');
      const deadline = Date.now() + 20_000;
      while (!/Available cash/.test(printed) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(printed, /PAPER/);
      assert.match(printed, /NSE:INFY\s+₹[\d,]+\.\d\d/);
      assert.match(printed, /Available cash: ₹10,00,000\.00/);
      input.end();
      await app.finished;
    } finally {
      await app.stop();
    }
  });
});
