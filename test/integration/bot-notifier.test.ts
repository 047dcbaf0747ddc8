import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Api } from 'grammy';
import { alertRecipients, createNotifier } from '../../src/alerts/notifier.ts';
import { alertApiOf } from '../../src/bot/create-bot.ts';
import {
  ALERT_API_SAFETY,
  installApiSafety,
  type ApiSafetyOptions,
} from '../../src/bot/telegram-api.ts';
import type { AlertJobData } from '../../src/queue/jobs.ts';
import {
  memoryLogger,
  startBotHarness,
  testConfig,
  TEST_TOKEN,
  type BotHarness,
} from '../support/bot-harness.ts';
import { sampleFunds, sampleOrder } from '../support/fake-gateway.ts';
import { TelegramCapture, visibleText } from '../support/telegram-capture.ts';
import {
  ASHA,
  DESK_GROUP,
  DEV,
  RAVI,
  textMessage,
} from '../support/updates.ts';

const OTHER_GROUP = -1009999;

const partialFill: AlertJobData = {
  event: {
    kind: 'order',
    change: 'partial',
    order: sampleOrder({
      symbol: 'M&M',
      quantity: 10,
      filledQuantity: 6,
      averagePrice: 2945.5,
      status: 'Pending',
    }),
    previousFilled: 2,
  },
  mode: 'paper',
  at: Date.UTC(2026, 10, 3, 8, 35, 9),
};

function setup(options: ApiSafetyOptions = {}) {
  const capture = new TelegramCapture();
  const logs: Record<string, unknown>[] = [];
  const config = testConfig('t-notifier', {
    alertChatIds: `${DESK_GROUP},${OTHER_GROUP},${DEV}`,
  });
  const api = new Api(TEST_TOKEN, capture.clientOptions());
  installApiSafety(api, { ...ALERT_API_SAFETY, throttle: false, ...options });
  const deliver = createNotifier({ api, config, logger: memoryLogger(logs) });
  return { capture, logs, config, deliver };
}

describe('alert recipients', () => {
  it('ALERT_CHAT_IDS plus each trader and admin, each once, no viewers', () => {
    const { config } = setup();
    assert.deepEqual(alertRecipients(config), [
      DESK_GROUP,
      OTHER_GROUP,
      DEV,
      ASHA,
    ]);
    assert.ok(!alertRecipients(config).includes(RAVI));
  });

  it('each trader and admin in private when ALERT_CHAT_IDS is unset', () => {
    assert.deepEqual(alertRecipients(testConfig('t-notifier')), [ASHA, DEV]);
  });
});

describe('createNotifier', () => {
  it('delivers to every recipient, PAPER-marked, except skipped chats', async () => {
    const { capture, deliver } = setup();
    const report = await deliver(partialFill, [OTHER_GROUP]);
    assert.deepEqual(report, {
      delivered: [DESK_GROUP, DEV, ASHA],
      retry: [],
      dropped: [],
    });
    assert.equal(capture.texts(OTHER_GROUP).length, 0);
    const text = capture.texts(ASHA)[0] ?? '';
    assert.match(
      text,
      /^📝 PAPER\n◐ Partly filled: BUY NSE:M&M \+4, now 6 of 10 @ avg ₹2,945\.50/,
    );
    assert.match(text, /14:05:09 IST/);
  });

  it('a live alert carries no badge', async () => {
    const { capture, deliver } = setup();
    await deliver({ ...partialFill, mode: 'live' }, []);
    assert.doesNotMatch(capture.texts(ASHA)[0] ?? '', /PAPER/);
  });

  it('sorts each chat: blocked or gone → dropped; flood, 5xx, network → retry', async () => {
    const { capture, deliver, logs } = setup();
    capture.failNext(
      'sendMessage',
      {
        ok: false,
        error_code: 403,
        description: 'Forbidden: bot was blocked by the user',
      },
      { chatId: ASHA },
    );
    capture.failNext(
      'sendMessage',
      {
        ok: false,
        error_code: 400,
        description: 'Bad Request: chat not found',
      },
      { chatId: OTHER_GROUP },
    );
    capture.failNext(
      'sendMessage',
      {
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 30',
        parameters: { retry_after: 30 },
      },
      { chatId: DESK_GROUP },
    );
    capture.failNext(
      'sendMessage',
      {
        ok: false,
        error_code: 502,
        description: 'Bad Gateway',
      },
      { chatId: DEV },
    );

    const report = await deliver(partialFill, []);
    assert.deepEqual(report, {
      delivered: [],
      retry: [DESK_GROUP, DEV],
      dropped: [OTHER_GROUP, ASHA],
    });
    const dropped = logs.filter((l) => l.msg === 'alert dropped for chat');
    assert.deepEqual(
      dropped.map((l) => l.chat_id).sort(),
      [ASHA, OTHER_GROUP].sort(),
    );
    assert.equal(dropped[0]?.error_code !== undefined, true);
    assert.doesNotMatch(
      JSON.stringify(logs),
      /Partly filled|M&M/,
      'no message text in logs',
    );
  });

  it('a network failure is a retry, never a throw', async () => {
    const { capture, deliver } = setup();
    capture.failNext('sendMessage', 'network', { times: 4 });
    const report = await deliver(partialFill, []);
    assert.deepEqual(
      report.retry.sort(),
      [ASHA, DEV, DESK_GROUP, OTHER_GROUP].sort(),
    );
    assert.deepEqual(report.delivered, []);
  });

  it('works on the alert api createBot makes, as the app wires it', async () => {
    const h = startBotHarness({ alertChatIds: String(DESK_GROUP) });
    try {
      const deliver = createNotifier({
        api: alertApiOf(h.bot),
        config: h.config,
        logger: memoryLogger([]),
      });
      const report = await deliver(
        {
          event: { kind: 'halt', change: 'halted', by: ASHA },
          mode: 'paper',
          at: Date.now(),
        },
        [],
      );
      assert.deepEqual(report.delivered, [DESK_GROUP, ASHA, 444444444]);
      assert.match(
        visibleText(String(h.capture.messages(DESK_GROUP)[0]?.payload.text)),
        /Trading halted by 111111111/,
      );
    } finally {
      await h.close();
    }
  });
});

describe('one retry layer for alerts: the job', () => {
  let h: BotHarness;
  let deliver: ReturnType<typeof createNotifier>;
  beforeEach(() => {
    h = startBotHarness();
    deliver = createNotifier({
      api: alertApiOf(h.bot),
      config: h.config,
      logger: memoryLogger([]),
    });
  });
  afterEach(async () => {
    await h.close();
  });

  const flood = (seconds: number) => ({
    ok: false as const,
    error_code: 429,
    description: `Too Many Requests: retry after ${seconds}`,
    parameters: { retry_after: seconds },
  });
  const sendsTo = (chat: number) =>
    h.capture
      .callsOf('sendMessage')
      .filter((c) => Number(c.payload.chat_id) === chat).length;

  it('a long flood wait goes back to the job at once, not waited out here', async () => {
    h.capture.failNext('sendMessage', flood(30), { chatId: ASHA });
    const started = Date.now();
    const report = await deliver(partialFill, []);
    assert.ok(Date.now() - started < 2_000, 'no 30 s wait in the worker');
    assert.deepEqual(report, { delivered: [DEV], retry: [ASHA], dropped: [] });
    assert.equal(sendsTo(ASHA), 1);
  });

  it('a short flood wait is waited out once, in place', async () => {
    h.capture.failNext('sendMessage', flood(1), { chatId: ASHA });
    const report = await deliver(partialFill, [DEV]);
    assert.deepEqual(report.delivered, [ASHA]);
    assert.equal(sendsTo(ASHA), 2);
  });

  it('network failures and 5xx: one try each, then the job retries', async () => {
    h.capture.failNext('sendMessage', 'network', { chatId: ASHA });
    h.capture.failNext(
      'sendMessage',
      { ok: false, error_code: 502, description: 'Bad Gateway' },
      { chatId: DEV },
    );
    const report = await deliver(partialFill, []);
    assert.deepEqual(report.retry.sort(), [ASHA, DEV].sort());
    assert.equal(sendsTo(ASHA), 1);
    assert.equal(sendsTo(DEV), 1);
  });

  it("command replies keep the bot api's own retries", async () => {
    h.gateway.done('funds', sampleFunds());
    h.capture.failNext('sendMessage', 'network', { chatId: RAVI });
    await h.send(textMessage(RAVI, '/funds'));
    assert.match(h.capture.texts(RAVI)[0] ?? '', /Available cash/);
    assert.equal(sendsTo(RAVI), 2);
  });
});
