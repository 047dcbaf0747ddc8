import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Update } from 'grammy/types';
import { startApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { FakeBotApi, type ApiCall } from '../support/fake-bot-api.ts';
import {
  connectRedis,
  deleteKeys,
  TEST_REDIS_URL,
  uniquePrefix,
} from '../support/redis.ts';

/**
 * The whole chain over real sockets: the real bot (runner, throttler,
 * auto-retry) polls a fake Bot API; jobs go through real Redis to the
 * real workers; the workers call the built-in simulator over HTTP.
 */

const ADMIN = 111111111;
const TRADER = 222222222;
const VIEWER = 333333333;
const STRANGER = 555555555;

function fixture(name: string): Update {
  return JSON.parse(
    readFileSync(`test/fixtures/telegram-updates/${name}.json`, 'utf8'),
  ) as Update;
}

function command(userId: number, text: string): Omit<Update, 'update_id'> {
  const name = /^\/\S+/.exec(text)?.[0] ?? text;
  return {
    message: {
      message_id: Math.floor(Math.random() * 1e6),
      date: Math.floor(Date.now() / 1000),
      chat: { id: userId, type: 'private', first_name: 'U' },
      from: { id: userId, is_bot: false, first_name: 'U' },
      text,
      entities: [{ type: 'bot_command', offset: 0, length: name.length }],
    },
  };
}

function buttons(call: ApiCall): { text: string; data: string }[] {
  const markup = call.payload.reply_markup as
    | { inline_keyboard?: { text: string; callback_data?: string }[][] }
    | undefined;
  return (markup?.inline_keyboard ?? [])
    .flat()
    .filter((b) => b.callback_data !== undefined)
    .map((b) => ({ text: b.text, data: b.callback_data! }));
}

describe('chat to broker, end to end', { timeout: 120_000 }, () => {
  const prefix = uniquePrefix('e2e');
  const api = new FakeBotApi();
  const redis = connectRedis();
  let app: App;

  before(async () => {
    await api.start();
    const config = loadConfig({
      TELEGRAM_BOT_TOKEN: '123456:TEST-token_for_the_fake_bot_api',
      TELEGRAM_API_ROOT: api.url,
      TELEGRAM_USERS: `${ADMIN}:admin,${TRADER},${VIEWER}:viewer`,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      ORDER_POLL_MS: '500',
      LOG_LEVEL: 'silent',
    });
    app = await startApp(config, {
      role: 'all',
      logger: createLogger('silent'),
      simulator: { tickMs: 0, seed: 42, partialFillRatio: 0 },
    });
  });

  after(async () => {
    await app?.stop();
    await api.close();
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  /** Sends a command and returns the first reply matching `expect`. */
  async function ask(userId: number, text: string, expect: RegExp) {
    const from = api.calls.length;
    api.push(command(userId, text));
    return api.waitForText(expect, { chatId: userId, from });
  }

  function press(userId: number, ticket: ApiCall, label: RegExp) {
    const button = buttons(ticket).find((b) => label.test(b.text));
    assert.ok(button, `no ${String(label)} button on the ticket`);
    const from = api.calls.length;
    api.push({
      callback_query: {
        id: String(Math.random()),
        from: { id: userId, is_bot: false, first_name: 'U' },
        chat_instance: 'e2e',
        data: button.data,
        message: {
          message_id: Number(
            (ticket.payload as { message_id?: number }).message_id ?? 0,
          ),
          date: Math.floor(Date.now() / 1000),
          chat: { id: userId, type: 'private', first_name: 'U' },
          text: String(ticket.payload.text),
        },
      },
    });
    return from;
  }

  it('answers /quote for two symbols from the real fixture', async () => {
    const from = api.calls.length;
    api.push(fixture('private-command'));
    const reply = await api.waitForText(/RELIANCE/, { chatId: ADMIN, from });
    const text = String(reply.payload.text);
    assert.match(text, /INFY/);
    assert.match(text, /PAPER/);
    assert.match(text, /\d/);
  });

  it('quotes M&M and BAJAJ-AUTO, sending one instrument each', async () => {
    app.simulator!.clearRequests();
    const reply = await ask(ADMIN, '/ltp m&m bajaj-auto', /M&amp;M/);
    assert.match(String(reply.payload.text), /BAJAJ-AUTO/);
    const quoteCall = app.simulator!.requests.find((r) =>
      r.path.includes('/instruments/quote'),
    );
    assert.ok(quoteCall, 'the worker never asked the simulator for quotes');
    assert.match(quoteCall.rawQuery, /i=NSE%3AM%26M/);
  });

  it('answers /funds, /holdings and /orders', async () => {
    await ask(VIEWER, '/funds', /10,00,000|Available/i);
    const holdings = await ask(VIEWER, '/holdings', /P&amp;L|P&L/);
    assert.match(String(holdings.payload.text), /₹/);
    await ask(VIEWER, '/orders', /order/i);
  });

  it('answers a group command addressed to this bot in its topic', async () => {
    const from = api.calls.length;
    api.push(fixture('group-command-to-this-bot'));
    const reply = await api.waitForText(/./, {
      chatId: -1001234567890,
      from,
    });
    assert.equal(reply.payload.message_thread_id, 7);
  });

  it('refuses a stranger with one line and no broker call', async () => {
    app.simulator!.clearRequests();
    const from = api.calls.length;
    api.push(fixture('stranger-command'));
    const reply = await api.waitForText(/./, { chatId: STRANGER, from });
    assert.doesNotMatch(String(reply.payload.text), /₹|holding/i);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(api.sent(STRANGER).length, 1);
    assert.equal(
      app.simulator!.requests.filter((r) => r.path.includes('holdings')).length,
      0,
    );
  });

  it('places a confirmed market buy once and alerts its fill', async () => {
    const ticket = await ask(TRADER, '/buy INFY 2', /INFY/);
    assert.ok(buttons(ticket).length >= 2, 'the ticket has no buttons');
    const before = app.simulator!.orders().length;

    const from = press(TRADER, ticket, /confirm/i);
    await api.waitForText(/submitted/i, { chatId: TRADER, from });
    await api.waitForText(/fill/i, { chatId: ADMIN, from, timeoutMs: 15_000 });

    // A second press of the same Confirm button places nothing more.
    press(TRADER, ticket, /confirm/i);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(app.simulator!.orders().length, before + 1);
  });

  it('alerts a partial fill and then the full fill', async () => {
    const sim = app.simulator!;
    const ltp = sim.price('NSE:SBIN')!;
    const limit = Math.floor(ltp * 0.9);
    const ticket = await ask(TRADER, `/buy SBIN 10 ${limit}`, /SBIN/);
    const from = press(TRADER, ticket, /confirm/i);
    await api.waitForText(/submitted/i, { chatId: TRADER, from });
    const order = sim.orders().find((o) => o.tradingsymbol === 'SBIN');
    assert.ok(order, 'the simulator has no SBIN order');

    sim.fillOrder(order.order_id, 4);
    await api.waitForText(/part/i, { chatId: ADMIN, from, timeoutMs: 15_000 });
    const after = api.calls.length;
    sim.fillOrder(order.order_id);
    await api.waitForText(/fill/i, {
      chatId: ADMIN,
      from: after,
      timeoutMs: 15_000,
    });
  });

  it('panics: halts, cancels both open orders, and blocks new ones', async () => {
    const sim = app.simulator!;
    const limit = Math.floor(sim.price('NSE:TCS')! * 0.8);
    for (let i = 0; i < 2; i++) {
      const ticket = await ask(TRADER, `/buy TCS 1 ${limit}`, /TCS/);
      const from = press(TRADER, ticket, /confirm/i);
      await api.waitForText(/submitted/i, { chatId: TRADER, from });
    }
    const open = () =>
      sim
        .orders()
        .filter((o) => o.tradingsymbol === 'TCS' && o.status === 'Pending');
    assert.equal(open().length, 2);

    const ticket = await ask(TRADER, '/panic', /panic|halt/i);
    const from = press(TRADER, ticket, /confirm/i);
    const report = await api.waitForText(/cancelled/i, {
      chatId: TRADER,
      from,
      timeoutMs: 20_000,
    });
    assert.match(String(report.payload.text), /2/);
    assert.equal(open().length, 0);

    const ordersBefore = sim.orders().length;
    await ask(TRADER, '/buy INFY 1', /halt/i);
    assert.equal(sim.orders().length, ordersBefore);

    const resume = await ask(ADMIN, '/resume', /resume/i);
    const resumed = press(ADMIN, resume, /confirm/i);
    await api.waitForText(/resum/i, { chatId: ADMIN, from: resumed });
  });
});
