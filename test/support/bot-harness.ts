import { Writable } from 'node:stream';
import type { Bot } from 'grammy';
import type { Update } from 'grammy/types';
import type { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../src/config.ts';
import type { BotContext } from '../../src/bot/context.ts';
import {
  createBot,
  whenFollowUpsIdle,
  type BotDeps,
} from '../../src/bot/create-bot.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { ControlState } from '../../src/queue/control-state.ts';
import { FakeGateway } from './fake-gateway.ts';
import { connectRedis, deleteKeys, uniquePrefix } from './redis.ts';
import { TelegramCapture } from './telegram-capture.ts';
import { BOT_INFO, TEST_USERS } from './updates.ts';

/**
 * The real bot from createBot, wired to a fake gateway, a capturing
 * Telegram and a real Redis under a fresh key prefix. Updates go in with
 * `send` (grammY's handleUpdate: it resolves once every awaited reply is
 * captured). `close` waits for late answers and removes every key.
 */

export const TEST_TOKEN = '123456:TESTtokenTESTtokenTESTtoken';

export interface BotHarness {
  bot: Bot<BotContext>;
  capture: TelegramCapture;
  gateway: FakeGateway;
  control: ControlState;
  redis: Redis;
  config: Config;
  prefix: string;
  /** Every log line the bot wrote, parsed. */
  logs: Record<string, unknown>[];
  send(update: Update): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  mode?: 'paper' | 'live';
  users?: string;
  alertChatIds?: string;
  now?: () => number;
  announce?: BotDeps['announce'];
}

export function memoryLogger(lines: Record<string, unknown>[]): Logger {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        }
      }
      done();
    },
  });
  return createLogger('debug', sink);
}

export function testConfig(prefix: string, options: HarnessOptions = {}) {
  const live =
    options.mode === 'live'
      ? {
          MSTOCK_API_KEY: 'test-api-key',
          MSTOCK_USERNAME: 'test-user',
          MSTOCK_PASSWORD: 'test-password',
          MSTOCK_TOTP_SECRET: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
          MSTOCK_BASE_URL: 'http://127.0.0.1:9',
        }
      : {};
  return loadConfig({
    TRADING_MODE: options.mode ?? 'paper',
    TELEGRAM_BOT_TOKEN: TEST_TOKEN,
    TELEGRAM_API_ROOT: 'http://127.0.0.1:9',
    TELEGRAM_USERS: options.users ?? TEST_USERS,
    ALERT_CHAT_IDS: options.alertChatIds ?? '',
    QUEUE_PREFIX: prefix,
    ...live,
  });
}

export function startBotHarness(options: HarnessOptions = {}): BotHarness {
  const prefix = uniquePrefix('bot');
  const config = testConfig(prefix, options);
  const redis = connectRedis();
  const capture = new TelegramCapture();
  const gateway = new FakeGateway();
  const control = new ControlState(redis, prefix, options.now);
  const logs: Record<string, unknown>[] = [];
  const bot = createBot({
    config,
    gateway,
    control,
    redis,
    logger: memoryLogger(logs),
    ...(options.now !== undefined ? { now: options.now } : {}),
    botConfig: { botInfo: BOT_INFO, client: capture.clientOptions() },
    // Same stack as production, minus the 1 s spacing per chat.
    apiSafety: {
      throttle: {
        out: { maxConcurrent: 1, minTime: 0 },
        group: { maxConcurrent: 1, minTime: 0 },
      },
      networkRetryDelayMs: 10,
    },
    ticketReadDeadlineMs: 200,
    redisDeadlineMs: 300,
    ...(options.announce !== undefined ? { announce: options.announce } : {}),
  });
  return {
    bot,
    capture,
    gateway,
    control,
    redis,
    config,
    prefix,
    logs,
    send: (update) => bot.handleUpdate(update),
    close: async () => {
      await whenFollowUpsIdle(bot);
      await deleteKeys(redis, prefix);
      await redis.quit();
    },
  };
}
