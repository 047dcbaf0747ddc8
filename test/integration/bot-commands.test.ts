import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createBot, setCommandMenus } from '../../src/bot/create-bot.ts';
import { ControlState } from '../../src/queue/control-state.ts';
import {
  memoryLogger,
  startBotHarness,
  testConfig,
  type BotHarness,
} from '../support/bot-harness.ts';
import {
  FakeGateway,
  sampleFunds,
  sampleHolding,
  sampleOrder,
  samplePosition,
  sampleQuote,
} from '../support/fake-gateway.ts';
import {
  ASHA,
  BOT_INFO,
  DESK_GROUP,
  DESK_TOPIC,
  DEV,
  RAVI,
  redelivered,
  STRANGER,
  textMessage,
} from '../support/updates.ts';
import {
  checkTelegramHtml,
  TelegramCapture,
  visibleText,
} from '../support/telegram-capture.ts';

describe('commands', () => {
  let h: BotHarness;
  beforeEach(() => {
    h = startBotHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('marks every reply PAPER in paper mode', async () => {
    h.gateway.done('funds', sampleFunds());
    await h.send(textMessage(RAVI, '/funds'));
    await h.send(textMessage(RAVI, '/help'));
    await h.send(textMessage(RAVI, '/nonsense'));
    const texts = h.capture.texts(RAVI);
    assert.equal(texts.length, 3);
    for (const text of texts) assert.ok(text.startsWith('📝 PAPER\n'), text);
  });

  it('answers /help per role', async () => {
    await h.send(textMessage(RAVI, '/help'));
    await h.send(textMessage(ASHA, '/start'));
    await h.send(textMessage(DEV, '/help'));
    const [viewer = '', trader = '', admin = ''] = [
      h.capture.texts(RAVI)[0],
      h.capture.texts(ASHA)[0],
      h.capture.texts(DEV)[0],
    ];
    assert.match(viewer, /you are a viewer/);
    assert.match(viewer, /\/holdings/);
    assert.doesNotMatch(viewer, /\/buy|\/panic|\/resume/);
    assert.match(trader, /\/buy SYMBOL QTY/);
    assert.match(trader, /\/panic/);
    assert.doesNotMatch(trader, /\/resume/);
    assert.match(admin, /\/resume/);
  });

  it('refuses a command above the role, without a job', async () => {
    await h.send(textMessage(RAVI, '/buy INFY 5'));
    await h.send(textMessage(RAVI, '/panic'));
    await h.send(textMessage(ASHA, '/resume'));
    assert.equal(h.gateway.calls.length, 0);
    assert.match(
      h.capture.texts(RAVI)[0] ?? '',
      /\/buy needs the trader role; you are a viewer/,
    );
    assert.match(
      h.capture.texts(RAVI)[1] ?? '',
      /\/panic needs the trader role/,
    );
    assert.match(
      h.capture.texts(ASHA)[0] ?? '',
      /\/resume needs the admin role; you are a trader/,
    );
    assert.equal(
      h.capture
        .callsOf('sendMessage')
        .some((c) => c.payload.reply_markup !== undefined),
      false,
    );
  });

  it('hints at /help for an unknown command and plain private text', async () => {
    await h.send(textMessage(ASHA, '/frobnicate'));
    await h.send(textMessage(ASHA, 'hello?'));
    const texts = h.capture.texts(ASHA);
    assert.match(texts[0] ?? '', /Unknown command\. Send \/help/);
    assert.match(texts[1] ?? '', /Send \/help/);
  });

  it('a bad symbol gets a hint and no job', async () => {
    await h.send(textMessage(ASHA, '/quote INFY <script>'));
    await h.send(textMessage(ASHA, '/ltp'));
    assert.equal(h.gateway.calls.length, 0);
    const [bad = '', none = ''] = h.capture.texts(ASHA);
    assert.match(bad, /"<script>" is not a symbol/);
    assert.match(none, /at least one symbol/);
    assert.equal(
      checkTelegramHtml(String(h.capture.messages(ASHA)[0]?.payload.text)),
      null,
    );
  });

  it('handles a redelivered update once (invariant 1)', async () => {
    h.gateway.done('holdings', [sampleHolding()]);
    const update = textMessage(ASHA, '/holdings');
    await h.send(update);
    await h.send(redelivered(update));
    assert.equal(h.gateway.callsOf('holdings').length, 1);
    assert.equal(h.capture.messages(ASHA).length, 1);
  });

  it('shows /positions and /orders [open]', async () => {
    h.gateway.done('positions', [
      samplePosition(),
      samplePosition({ symbol: 'TCS', pnl: -80 }),
    ]);
    h.gateway.done('orders', [
      sampleOrder({ orderId: 'OPEN1' }),
      sampleOrder({
        orderId: 'DONE1',
        state: 'filled',
        status: 'Traded',
        filledQuantity: 5,
      }),
    ]);
    await h.send(textMessage(ASHA, '/positions'));
    await h.send(textMessage(ASHA, '/orders'));
    await h.send(textMessage(ASHA, '/orders OPEN'));
    await h.send(textMessage(ASHA, '/orders closed'));
    const [positions = '', all = '', open = '', usage = ''] =
      h.capture.texts(ASHA);
    assert.match(positions, /Total P&L: −₹29\.75/);
    assert.match(all, /OPEN1/);
    assert.match(all, /DONE1 .* Traded 5\/5/);
    assert.match(open, /OPEN1/);
    assert.doesNotMatch(open, /DONE1/);
    assert.match(usage, /Usage: \/orders/);
    assert.equal(h.gateway.callsOf('orders').length, 2);
  });

  it('reports /status from the halt flag, broker status and queue', async () => {
    await h.control.halt(ASHA);
    await h.control.setBrokerStatus({
      online: false,
      loggedIn: false,
      sessionExpiresAt: null,
      lastError: 'broker unreachable (HTTP 502)',
    });
    h.gateway.queueDepth = { waiting: 3, active: 1, delayed: 0 };
    await h.send(textMessage(RAVI, '/status'));
    const text = h.capture.texts(RAVI)[0] ?? '';
    assert.match(text, /Mode: 📝 PAPER/);
    assert.match(text, /HALTED by 111111111/);
    assert.match(text, /offline, not logged in/);
    assert.match(text, /last error: broker unreachable \(HTTP 502\)/);
    assert.match(text, /Queue: 4 jobs waiting/);
  });

  it('still answers /status when the queue is down', async () => {
    h.gateway.queueDepth = new Error('Connection is closed.');
    await h.send(textMessage(RAVI, '/status'));
    assert.match(
      h.capture.texts(RAVI)[0] ?? '',
      /Trading: ▶️ active[^]*Queue: unavailable/,
    );
  });

  it('tells the user when the queue cannot be reached', async () => {
    h.gateway.answer('funds', new Error('Connection is closed.'));
    await h.send(textMessage(RAVI, '/funds'));
    assert.match(h.capture.texts(RAVI)[0] ?? '', /job queue is not reachable/);
  });

  it('says a failed job in one short line', async () => {
    h.gateway.fail(
      'funds',
      'The broker is offline; try again in a few minutes.',
    );
    await h.send(textMessage(RAVI, '/funds'));
    assert.deepEqual(h.capture.texts(RAVI), [
      '📝 PAPER\n❌ The broker is offline; try again in a few minutes.',
    ]);
  });

  it('a broker refusal never ends in a double full stop', async () => {
    h.gateway.fail(
      'funds',
      'mStock refused the request: System is not connected to exchange..',
    );
    await h.send(textMessage(RAVI, '/funds'));
    assert.deepEqual(h.capture.texts(RAVI), [
      '📝 PAPER\n❌ mStock refused the request: System is not connected to exchange.',
    ]);
  });

  it('answers "still working" at once, then the late result', async () => {
    const job = h.gateway.pending('funds');
    await h.send(textMessage(RAVI, '/funds'));
    assert.deepEqual(h.capture.texts(RAVI), [
      '📝 PAPER\n⏳ Still working on it… the answer follows here.',
    ]);

    // Other updates are not held up meanwhile.
    h.gateway.done('quote', [sampleQuote()]);
    await h.send(textMessage(RAVI, '/quote INFY'));
    assert.match(h.capture.texts(RAVI)[1] ?? '', /NSE:INFY/);

    job.resolve({ status: 'done', value: sampleFunds({ availableCash: 5 }) });
    await h.capture.waitForText(/Available cash: ₹5\.00/);
  });

  it('reports a late failure too, never silence', async () => {
    const job = h.gateway.pending('holdings');
    await h.send(textMessage(RAVI, '/holdings'));
    job.resolve({
      status: 'failed',
      message: 'Broker session expired; logging in again.',
    });
    await h.capture.waitForText(/❌ Broker session expired/);
    const lost = h.gateway.pending('positions');
    await h.send(textMessage(RAVI, '/positions'));
    lost.reject(new Error('queue events closed'));
    await h.capture.waitForText(/Lost track of that job/);
  });

  it('FR-13: splits 120 holdings into valid parts of at most 4096', async () => {
    h.gateway.done(
      'holdings',
      Array.from({ length: 120 }, (_, i) =>
        sampleHolding({
          name:
            i === 7
              ? `PADDED & CO ${'X'.repeat(280)}`
              : `COMPANY ${i} & SONS LTD`,
          quantity: 1000 + i,
          averagePrice: 1234.5 + i,
          lastPrice: 1300 + i,
        }),
      ),
    );
    await h.send(textMessage(ASHA, '/holdings'));
    const sent = h.capture.callsOf('sendMessage');
    assert.ok(sent.length >= 3, `${sent.length} parts`);
    const texts = sent.map((c) => {
      assert.ok(c.accepted);
      const html = String(c.payload.text);
      assert.equal(checkTelegramHtml(html), null);
      assert.ok(html.length <= 4096);
      return visibleText(html);
    });
    texts.forEach((text, i) => {
      assert.ok(
        text.startsWith(`📝 PAPER · (${i + 1}/${texts.length})\n`),
        text.slice(0, 30),
      );
    });
    const all = texts.join('\n');
    for (let i = 0; i < 120; i++) {
      if (i !== 7) {
        assert.ok(all.includes(`COMPANY ${i} & SONS LTD`), `row ${i}`);
      }
    }
    assert.ok(all.includes('PADDED & CO XXX'));
    assert.match(texts.at(-1) ?? '', /Total: invested/);
  });
});

describe('FR-16: command forms in a group', () => {
  let h: BotHarness;
  beforeEach(() => {
    h = startBotHarness();
    h.gateway.done('quote', [sampleQuote({ symbol: 'RELIANCE' })]);
    h.gateway.done('orders', []);
  });
  afterEach(async () => {
    await h.close();
  });

  const inGroup = (from: number, text: string) =>
    textMessage(from, text, { chatId: DESK_GROUP, threadId: DESK_TOPIC });

  it('/ltp@OurBot works and answers in the topic', async () => {
    await h.send(inGroup(ASHA, '/ltp@Our_Trader_Bot RELIANCE'));
    assert.equal(h.gateway.callsOf('quote').length, 1);
    const [reply] = h.capture.messages(DESK_GROUP);
    assert.equal(reply?.payload.message_thread_id, DESK_TOPIC);
  });

  it('an unknown command named to us gets the hint in the group', async () => {
    await h.send(inGroup(ASHA, '/roll@our_trader_bot'));
    assert.match(h.capture.texts(DESK_GROUP)[0] ?? '', /Unknown command/);
  });

  it('answers in the chat when the topic is gone', async () => {
    h.capture.failNext('sendMessage', {
      ok: false,
      error_code: 400,
      description: 'Bad Request: message thread not found',
    });
    await h.send(inGroup(ASHA, '/ltp RELIANCE'));
    const [reply] = h.capture.messages(DESK_GROUP);
    assert.equal(reply?.payload.message_thread_id, undefined);
    assert.match(h.capture.texts(DESK_GROUP)[0] ?? '', /NSE:RELIANCE/);
  });

  it('/panic@OtherBot does nothing at all', async () => {
    await h.send(inGroup(ASHA, '/panic@OtherBot'));
    await h.send(inGroup(ASHA, '/frob@OtherBot'));
    // A bare unknown command in a group may be another bot's, too.
    await h.send(inGroup(ASHA, '/roll'));
    assert.equal(h.capture.calls.length, 0);
    assert.equal(h.gateway.calls.length, 0);
  });

  for (const text of ['/PANIC', '/panic@our_trader_bot', '/panic\n']) {
    it(`${JSON.stringify(text)} still needs Confirm`, async () => {
      await h.send(inGroup(ASHA, text));
      const [ticket] = h.capture.messages(DESK_GROUP);
      assert.match(visibleText(String(ticket?.payload.text)), /Confirm panic/);
      assert.ok(ticket?.payload.reply_markup !== undefined);
      assert.equal(await h.control.isHalted(), false);
      assert.equal(h.gateway.callsOf('panic').length, 0);
    });
  }

  it('an allowed chat does not make its other members allowed (FR-15)', async () => {
    await h.send(inGroup(STRANGER, '/holdings@our_trader_bot'));
    await h.send(inGroup(STRANGER, '/panic'));
    await h.send(inGroup(STRANGER, 'what does this bot do?'));
    assert.equal(h.gateway.calls.length, 0);
    // One refusal line for the first command, nothing after.
    assert.deepEqual(h.capture.texts(DESK_GROUP), ['This bot is private.']);
  });

  it('a stranger gets one refusal an hour, in private too', async () => {
    await h.send(textMessage(STRANGER, '/panic'));
    await h.send(textMessage(STRANGER, '/buy INFY 1'));
    await h.send(textMessage(STRANGER, 'hello'));
    assert.equal(h.gateway.calls.length, 0);
    assert.deepEqual(h.capture.texts(STRANGER), ['This bot is private.']);
    assert.equal(await h.control.isHalted(), false);
  });
});

describe('live mode', () => {
  it('replies carry no PAPER badge', async () => {
    const h = startBotHarness({ mode: 'live' });
    try {
      h.gateway.done('funds', sampleFunds());
      await h.send(textMessage(RAVI, '/funds'));
      await h.send(textMessage(RAVI, '/status'));
      const [funds = '', status = ''] = h.capture.texts(RAVI);
      assert.ok(funds.startsWith('Funds\n'), funds);
      assert.match(status, /Mode: ⚡ LIVE/);
      assert.doesNotMatch(funds + status, /PAPER/);
    } finally {
      await h.close();
    }
  });
});

describe('setCommandMenus', () => {
  it('sets /help for everyone and each user the role menu', async () => {
    const h = startBotHarness();
    try {
      h.capture.failNext('setMyCommands', {
        ok: false,
        error_code: 400,
        description: 'Bad Request: chat not found',
      });
      await setCommandMenus(h.bot, h.config);
      const calls = h.capture.callsOf('setMyCommands');
      assert.equal(calls.length, 1 + h.config.telegram.users.length);
      const names = (i: number) =>
        (calls[i]?.payload.commands as { command: string }[]).map(
          (c) => c.command,
        );
      assert.deepEqual(names(0), ['help']);
      const byChat = new Map(
        calls
          .slice(1)
          .map((c) => [
            (c.payload.scope as { chat_id: number }).chat_id,
            (c.payload.commands as { command: string }[]).map((x) => x.command),
          ]),
      );
      assert.ok(!byChat.get(RAVI)?.includes('buy'));
      assert.ok(byChat.get(ASHA)?.includes('panic'));
      assert.ok(!byChat.get(ASHA)?.includes('resume'));
      assert.ok(byChat.get(DEV)?.includes('resume'));
      assert.ok(h.logs.some((l) => l.msg === 'command menu not set'));
    } finally {
      await h.close();
    }
  });
});

describe('failures never crash an update', () => {
  it('a handler that throws: logged, and the user told', async () => {
    const h = startBotHarness();
    try {
      h.control.isHalted = () => Promise.reject(new Error('boom'));
      await h.send(textMessage(ASHA, '/buy INFY 1'));
      assert.match(
        h.capture.texts(ASHA)[0] ?? '',
        /Something went wrong with that request/,
      );
      assert.ok(h.logs.some((l) => l.msg === 'update failed'));
    } finally {
      await h.close();
    }
  });

  it('a reply Telegram refuses: logged, the update still ends', async () => {
    const h = startBotHarness();
    try {
      h.gateway.done('funds', sampleFunds());
      h.capture.failNext(
        'sendMessage',
        {
          ok: false,
          error_code: 403,
          description: 'Forbidden: bot was blocked by the user',
        },
        { times: 2 },
      );
      await h.send(textMessage(RAVI, '/funds'));
      const failed = h.logs.find((l) => l.msg === 'update failed');
      assert.equal(failed?.error_code, 403);
      assert.doesNotMatch(JSON.stringify(h.logs), /Available cash/);
    } finally {
      await h.close();
    }
  });

  it('Redis down: an allowed user hears "unavailable" within the deadline (FR-17)', async () => {
    const capture = new TelegramCapture();
    const logs: Record<string, unknown>[] = [];
    // Nothing listens on port 1: commands wait in the offline queue.
    const dead = new Redis('redis://127.0.0.1:1', {
      maxRetriesPerRequest: null,
      retryStrategy: () => 100,
      lazyConnect: true,
    });
    dead.on('error', () => undefined);
    const config = testConfig('t-redis-down');
    const bot = createBot({
      config,
      gateway: new FakeGateway().done('funds', sampleFunds()),
      control: new ControlState(dead, config.queuePrefix),
      redis: dead,
      logger: memoryLogger(logs),
      botConfig: { botInfo: BOT_INFO, client: capture.clientOptions() },
      apiSafety: { throttle: false },
      redisDeadlineMs: 200,
    });
    try {
      const started = Date.now();
      await bot.handleUpdate(textMessage(RAVI, '/funds'));
      await bot.handleUpdate(textMessage(STRANGER, '/funds'));
      assert.ok(Date.now() - started < 2000);
      assert.match(capture.texts(RAVI)[0] ?? '', /job queue is not reachable/);
      assert.equal(capture.texts(STRANGER).length, 0);
      assert.ok(
        logs.some((l) => l.msg === 'redis unavailable; update dropped'),
      );
    } finally {
      dead.disconnect();
    }
  });
});
