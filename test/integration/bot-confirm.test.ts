import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Update } from 'grammy/types';
import { createNotifier } from '../../src/alerts/notifier.ts';
import { createBot } from '../../src/bot/create-bot.ts';
import type { AlertJobData } from '../../src/queue/jobs.ts';
import type { CapturedCall } from '../support/telegram-capture.ts';
import {
  startBotHarness,
  testConfig,
  memoryLogger,
  type BotHarness,
} from '../support/bot-harness.ts';
import { sampleOrder, sampleQuote } from '../support/fake-gateway.ts';
import {
  ASHA,
  BOT_INFO,
  buttonPress,
  DESK_GROUP,
  DEV,
  MEERA,
  resent,
  STRANGER,
  textMessage,
} from '../support/updates.ts';
import { visibleText } from '../support/telegram-capture.ts';

/** The inline buttons of a sent ticket: [confirm data, cancel data]. */
function buttonsOf(call: CapturedCall | undefined): [string, string] {
  const markup = call?.payload.reply_markup as
    | { inline_keyboard: { text: string; callback_data: string }[][] }
    | undefined;
  const row = markup?.inline_keyboard[0] ?? [];
  assert.equal(row.length, 2, 'a ticket has Confirm and Cancel');
  assert.match(row[0]!.text, /Confirm/);
  assert.match(row[1]!.text, /Cancel/);
  for (const b of row) assert.ok(Buffer.byteLength(b.callback_data) <= 64);
  return [row[0]!.callback_data, row[1]!.callback_data];
}

function answers(h: BotHarness): unknown[] {
  return h.capture.callsOf('answerCallbackQuery').map((c) => c.payload.text);
}

/** Sends a command and returns its ticket message and buttons. */
async function ticketFor(h: BotHarness, from: number, text: string) {
  const before = h.capture.messages(from).length;
  await h.send(textMessage(from, text));
  const ticket = h.capture.messages(from)[before];
  return { ticket, buttons: buttonsOf(ticket) };
}

function press(
  from: number,
  data: string,
  ticket: CapturedCall | undefined,
  chatId = ASHA,
): Update {
  return buttonPress(from, data, {
    chatId,
    messageId: Number(
      (ticket?.payload as { message_id?: number }).message_id ?? 1000,
    ),
  });
}

describe('order confirmations', () => {
  let h: BotHarness;
  beforeEach(() => {
    h = startBotHarness();
    h.gateway.done('quote', [sampleQuote({ lastPrice: 1510.05 })]);
    h.gateway.done('place-order', {
      outcome: 'submitted',
      orderId: 'X1',
      order: null,
    });
  });
  afterEach(async () => {
    await h.close();
  });

  it('/buy shows a ticket with the LTP and places nothing yet', async () => {
    const { ticket } = await ticketFor(h, ASHA, '/buy infy 5');
    const text = visibleText(String(ticket?.payload.text));
    assert.match(
      text,
      /Confirm order\nBUY 5 NSE:INFY @ MARKET \(CNC\)\nLTP ₹1,510\.05 · est\. value ₹7,550\.25/,
    );
    assert.match(text, /Expires in 60 s/);
    assert.equal(h.gateway.callsOf('place-order').length, 0);
    assert.equal(h.gateway.callsOf('quote')[0]?.options?.deadlineMs, 200);
  });

  it('a ticket still shows when the LTP read fails', async () => {
    h.gateway.answer('quote', new Error('Connection is closed.'));
    const { ticket } = await ticketFor(h, ASHA, '/sell INFY 5 1600 MIS');
    const text = visibleText(String(ticket?.payload.text));
    assert.match(
      text,
      /SELL 5 NSE:INFY @ ₹1,600\.00 \(MIS\)\nest\. value ₹8,000\.00/,
    );
    assert.doesNotMatch(text, /LTP/);
  });

  it('Confirm places one order with the intent as job id and tag', async () => {
    const { ticket, buttons } = await ticketFor(
      h,
      ASHA,
      '/buy INFY 5 1510.05 MIS',
    );
    await h.send(press(ASHA, buttons[0], ticket));

    const [call] = h.gateway.callsOf('place-order');
    assert.ok(call !== undefined);
    const intentId = buttons[0].slice(2);
    assert.equal(call.data.intentId, intentId);
    assert.equal(call.data.requestedBy, ASHA);
    assert.equal(call.options?.jobId, `intent-${intentId}`);
    assert.deepEqual(call.data.request, {
      exchange: 'NSE',
      symbol: 'INFY',
      side: 'BUY',
      quantity: 5,
      orderType: 'LIMIT',
      price: 1510.05,
      product: 'MIS',
      tag: `tg-${intentId}`,
    });
    assert.match(call.data.request.tag, /^[A-Za-z0-9_-]{1,20}$/);

    // The ticket lost its buttons and says it was confirmed.
    const [edit] = h.capture.callsOf('editMessageText');
    assert.equal(edit?.payload.reply_markup, undefined);
    assert.match(
      visibleText(String(edit?.payload.text)),
      /Confirmed\. Working on it/,
    );
    assert.deepEqual(answers(h), ['Confirmed']);
    assert.match(
      h.capture.texts(ASHA).at(-1) ?? '',
      /Order X1 submitted: BUY 5 NSE:INFY/,
    );
  });

  it('a double press places one order (invariant 1)', async () => {
    const { ticket, buttons } = await ticketFor(h, ASHA, '/buy INFY 5');
    const first = press(ASHA, buttons[0], ticket);
    await h.send(first);
    await h.send(resent(first));
    assert.equal(h.gateway.callsOf('place-order').length, 1);
    assert.deepEqual(answers(h), ['Confirmed', 'Already confirmed.']);
  });

  it('two presses racing place one order', async () => {
    const { ticket, buttons } = await ticketFor(h, ASHA, '/buy INFY 5');
    const presses = Array.from({ length: 5 }, () =>
      press(ASHA, buttons[0], ticket),
    );
    await Promise.all(presses.map((p) => h.send(p)));
    assert.equal(h.gateway.callsOf('place-order').length, 1);
    const texts = answers(h);
    assert.equal(texts.filter((t) => t === 'Confirmed').length, 1);
    assert.equal(texts.length, 5);
  });

  it("another user's press: not yours, no effect, and the owner can still confirm", async () => {
    const { ticket, buttons } = await ticketFor(h, ASHA, '/buy INFY 5');
    await h.send(press(DEV, buttons[0], ticket));
    await h.send(press(MEERA, buttons[1], ticket));
    assert.equal(h.gateway.callsOf('place-order').length, 0);
    assert.deepEqual(answers(h), [
      'This button is not yours.',
      'This button is not yours.',
    ]);
    assert.equal(h.capture.callsOf('editMessageText').length, 0);

    await h.send(press(ASHA, buttons[0], ticket));
    assert.equal(h.gateway.callsOf('place-order').length, 1);
  });

  it("a stranger's press: refused, no effect", async () => {
    const { ticket, buttons } = await ticketFor(h, ASHA, '/buy INFY 5');
    await h.send(press(STRANGER, buttons[0], ticket));
    assert.equal(h.gateway.callsOf('place-order').length, 0);
    assert.deepEqual(answers(h), ['This bot is private.']);
  });

  it('an expired ticket: says so, no effect', async () => {
    const { ticket, buttons } = await ticketFor(h, ASHA, '/buy INFY 5');
    const key = `${h.prefix}:intent-ticket:${buttons[0].slice(2)}`;
    const ttl = await h.redis.ttl(key);
    assert.ok(ttl > 55 && ttl <= 60, `ttl ${ttl}`);
    await h.redis.pexpire(key, 1);
    await new Promise((r) => setTimeout(r, 20));
    await h.send(press(ASHA, buttons[0], ticket));
    assert.equal(h.gateway.callsOf('place-order').length, 0);
    assert.deepEqual(answers(h), [
      'This confirmation expired; send the command again.',
    ]);
  });

  it('Cancel dismisses: no order, the ticket says so', async () => {
    const { ticket, buttons } = await ticketFor(h, ASHA, '/buy INFY 5');
    await h.send(press(ASHA, buttons[1], ticket));
    await h.send(press(ASHA, buttons[0], ticket));
    assert.equal(h.gateway.callsOf('place-order').length, 0);
    assert.deepEqual(answers(h), ['Dismissed', 'Already dismissed.']);
    const [edit] = h.capture.callsOf('editMessageText');
    assert.match(
      visibleText(String(edit?.payload.text)),
      /Dismissed\. Nothing was sent\./,
    );
  });

  it('roles hold on buttons: a demoted trader cannot confirm', async () => {
    const { ticket, buttons } = await ticketFor(h, ASHA, '/buy INFY 5');
    // The same Redis, restarted with Asha now a viewer.
    const demoted = createBot({
      config: testConfig(h.prefix, { users: `${ASHA}:viewer` }),
      gateway: h.gateway,
      control: h.control,
      redis: h.redis,
      logger: memoryLogger([]),
      botConfig: { botInfo: BOT_INFO, client: h.capture.clientOptions() },
      apiSafety: { throttle: false },
    });
    await demoted.handleUpdate(press(ASHA, buttons[0], ticket));
    assert.equal(h.gateway.callsOf('place-order').length, 0);
    assert.deepEqual(answers(h), ['This needs the trader role.']);
  });

  it('halted: /buy answers at once, and a halt after the ticket stops Confirm', async () => {
    const { ticket, buttons } = await ticketFor(h, ASHA, '/buy INFY 5');
    await h.control.halt(DEV);
    await h.send(textMessage(ASHA, '/sell INFY 1'));
    assert.match(h.capture.texts(ASHA).at(-1) ?? '', /Trading is halted/);
    await h.send(press(ASHA, buttons[0], ticket));
    assert.equal(h.gateway.callsOf('place-order').length, 0);
    assert.match(
      h.capture.texts(ASHA).at(-1) ?? '',
      /Trading is halted, so no order was sent/,
    );
  });

  it('an unclear placement says check /orders, a pending one follows up', async () => {
    h.gateway.done('place-order', {
      outcome: 'unknown',
      detail: 'The broker did not answer in time.',
    });
    let t = await ticketFor(h, ASHA, '/buy INFY 5');
    await h.send(press(ASHA, t.buttons[0], t.ticket));
    assert.match(
      h.capture.texts(ASHA).at(-1) ?? '',
      /Could not confirm[^]*check \/orders/,
    );

    const job = h.gateway.pending('place-order');
    t = await ticketFor(h, ASHA, '/buy INFY 6');
    await h.send(press(ASHA, t.buttons[0], t.ticket));
    assert.match(h.capture.texts(ASHA).at(-1) ?? '', /Still working on it/);
    job.resolve({
      status: 'done',
      value: { outcome: 'submitted', orderId: 'X9', order: null },
    });
    await h.capture.waitForText(/Order X9 submitted: BUY 6/);
  });

  it('/cancel ORDER_ID confirms, then cancels that order once', async () => {
    h.gateway.done('cancel-order', {
      orderId: '1161231234567',
      outcome: 'cancelled',
      order: sampleOrder({ status: 'Cancelled', state: 'cancelled' }),
    });
    const { ticket, buttons } = await ticketFor(
      h,
      ASHA,
      '/cancel 1161231234567',
    );
    assert.match(
      visibleText(String(ticket?.payload.text)),
      /Cancel order 1161231234567\?/,
    );
    await h.send(press(ASHA, buttons[0], ticket));
    await h.send(press(ASHA, buttons[0], ticket));
    const calls = h.gateway.callsOf('cancel-order');
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]?.data, {
      orderId: '1161231234567',
      requestedBy: ASHA,
    });
    assert.match(calls[0]?.options?.jobId ?? '', /^intent-/);
    assert.match(
      h.capture.texts(ASHA).at(-1) ?? '',
      /Cancel sent for order 1161231234567/,
    );
  });
});

describe('/panic and /resume', () => {
  let h: BotHarness;
  beforeEach(() => {
    h = startBotHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('halts first, then cancels, then reports what is left (FR-09)', async () => {
    h.gateway.done('orders', [
      sampleOrder({ orderId: 'A' }),
      sampleOrder({ orderId: 'B' }),
      sampleOrder({ orderId: 'C' }),
    ]);
    let haltedWhenCalled: boolean | undefined;
    h.gateway.answer('panic', () => {
      return {
        status: 'done',
        value: {
          openBefore: 3,
          cancelled: [
            sampleOrder({
              orderId: 'A',
              state: 'cancelled',
              status: 'Cancelled',
            }),
          ],
          alreadyClosed: [
            sampleOrder({
              orderId: 'B',
              quantity: 10,
              filledQuantity: 10,
              averagePrice: 1502.05,
              status: 'Traded',
              state: 'filled',
            }),
          ],
          failed: [
            {
              order: sampleOrder({ orderId: 'C' }),
              reason: 'Broker error (HTTP 500)',
            },
          ],
          stillOpen: [sampleOrder({ orderId: 'C' })],
          verified: true,
        },
      };
    });
    const { ticket, buttons } = await ticketFor(h, ASHA, '/panic');
    assert.match(
      visibleText(String(ticket?.payload.text)),
      /3 open orders right now/,
    );
    assert.equal(await h.control.isHalted(), false, 'nothing before Confirm');

    const original = h.gateway.call.bind(h.gateway);
    h.gateway.call = async (name: never, data: never, options: never) => {
      if (name === 'panic') haltedWhenCalled = await h.control.isHalted();
      return original(name, data, options);
    };
    await h.send(press(ASHA, buttons[0], ticket));

    assert.equal(haltedWhenCalled, true, 'halted before the panic job');
    const halt = await h.control.haltInfo();
    assert.equal(halt.by, ASHA);
    const calls = h.gateway.callsOf('panic');
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]?.data, { requestedBy: ASHA });
    const report = h.capture.texts(ASHA).at(-1) ?? '';
    assert.match(report, /Cancelled 1, already closed 1, failed 1\./);
    assert.match(report, /B BUY 10 NSE:INFY .*Traded 10\/10 avg ₹1,502\.05/);
    assert.match(report, /reason: Broker error \(HTTP 500\)/);
    assert.match(report, /Still open\n• C BUY/);
    assert.match(report, /Send \/panic again/);
  });

  it('the halt holds while the panic job is still queued', async () => {
    h.gateway.fail('orders', 'offline');
    const job = h.gateway.pending('panic');
    const { ticket, buttons } = await ticketFor(h, ASHA, '/panic');
    assert.match(
      visibleText(String(ticket?.payload.text)),
      /could not be counted/,
    );
    await h.send(press(ASHA, buttons[0], ticket));
    assert.equal(await h.control.isHalted(), true);
    assert.match(h.capture.texts(ASHA).at(-1) ?? '', /Still working on it/);

    // New orders are refused meanwhile.
    await h.send(textMessage(ASHA, '/buy INFY 1'));
    assert.match(h.capture.texts(ASHA).at(-1) ?? '', /Trading is halted/);
    job.resolve({
      status: 'done',
      value: {
        openBefore: 0,
        cancelled: [],
        alreadyClosed: [],
        failed: [],
        stillOpen: [],
        verified: true,
      },
    });
    await h.capture.waitForText(/Nothing is left open/);
  });

  it('a forwarded /panic does nothing', async () => {
    const forwarded = textMessage(ASHA, '/panic');
    (forwarded.message as unknown as Record<string, unknown>).forward_origin = {
      type: 'hidden_user',
      sender_user_name: 'someone',
      date: 1,
    };
    await h.send(forwarded);
    assert.equal(h.capture.calls.length, 0);
  });

  it('/resume is for admins and lifts the halt after Confirm', async () => {
    await h.control.halt(ASHA);
    const { ticket, buttons } = await ticketFor(h, DEV, '/resume');
    assert.match(
      visibleText(String(ticket?.payload.text)),
      /Halted since .* by 111111111/,
    );
    assert.equal(await h.control.isHalted(), true);
    await h.send(press(DEV, buttons[0], ticket, DEV));
    assert.equal(await h.control.isHalted(), false);
    assert.equal((await h.control.haltInfo()).by, DEV);
    assert.match(h.capture.texts(DEV).at(-1) ?? '', /Trading resumed/);
  });

  it('announces the halt and the resume to every alert recipient, once', async () => {
    const announced: { alert: AlertJobData; id: string }[] = [];
    const a = startBotHarness({
      announce: (alert, id) => {
        announced.push({ alert, id });
        return Promise.resolve();
      },
    });
    try {
      a.gateway.done('orders', []);
      a.gateway.done('panic', {
        openBefore: 0,
        cancelled: [],
        alreadyClosed: [],
        failed: [],
        stillOpen: [],
        verified: true,
      });
      const panic = await ticketFor(a, ASHA, '/panic');
      await a.send(press(ASHA, panic.buttons[0], panic.ticket));
      // A second panic while halted changes nothing, so says nothing.
      const again = await ticketFor(a, ASHA, '/panic');
      await a.send(press(ASHA, again.buttons[0], again.ticket));
      const resume = await ticketFor(a, DEV, '/resume');
      await a.send(press(DEV, resume.buttons[0], resume.ticket, DEV));

      assert.deepEqual(
        announced.map((x) => [x.alert.event, x.alert.mode, x.id]),
        [
          [
            { kind: 'halt', change: 'halted', by: ASHA },
            'paper',
            `halt-${panic.buttons[0].slice(2)}`,
          ],
          [
            { kind: 'halt', change: 'resumed', by: DEV },
            'paper',
            `resume-${resume.buttons[0].slice(2)}`,
          ],
        ],
      );
      assert.equal(a.gateway.callsOf('panic').length, 2);
    } finally {
      await a.close();
    }
  });

  it('a failing announcement does not stop the panic', async () => {
    const a = startBotHarness({
      announce: () => Promise.reject(new Error('alerts queue down')),
    });
    try {
      a.gateway.done('orders', []);
      a.gateway.done('panic', {
        openBefore: 0,
        cancelled: [],
        alreadyClosed: [],
        failed: [],
        stillOpen: [],
        verified: true,
      });
      const panic = await ticketFor(a, ASHA, '/panic');
      await a.send(press(ASHA, panic.buttons[0], panic.ticket));
      assert.equal(await a.control.isHalted(), true);
      assert.equal(a.gateway.callsOf('panic').length, 1);
      assert.ok(a.logs.some((l) => l.msg === 'halt alert not published'));
    } finally {
      await a.close();
    }
  });
});

describe('Telegram failures after Confirm never cost the action', () => {
  const TOO_OLD = {
    ok: false as const,
    error_code: 400,
    description:
      'Bad Request: query is too old and response timeout expired or query ID is invalid',
  };
  const EDIT_GONE = {
    ok: false as const,
    error_code: 400,
    description: 'Bad Request: message to edit not found',
  };
  /** Longer than auto-retry waits: thrown at once. */
  const FLOOD = {
    ok: false as const,
    error_code: 429,
    description: 'Too Many Requests: retry after 600',
    parameters: { retry_after: 600 },
  };
  const EMPTY_PANIC = {
    openBefore: 0,
    cancelled: [],
    alreadyClosed: [],
    failed: [],
    stillOpen: [],
    verified: true,
  };

  let h: BotHarness;
  beforeEach(() => {
    h = startBotHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  /** Counts Bot API calls of `method` made before each gateway call. */
  function recordTelegramCallsAtGateway(method: string): number[] {
    const seen: number[] = [];
    const original = h.gateway.call.bind(h.gateway);
    h.gateway.call = (name: never, data: never, options: never) => {
      seen.push(h.capture.callsOf(method).length);
      return original(name, data, options);
    };
    return seen;
  }

  it('a late press ("query is too old") still places the order, once', async () => {
    h.gateway.done('quote', [sampleQuote()]);
    h.gateway.done('place-order', {
      outcome: 'submitted',
      orderId: 'X7',
      order: null,
    });
    const { ticket, buttons } = await ticketFor(h, ASHA, '/buy INFY 5');
    h.capture.failNext('answerCallbackQuery', TOO_OLD);
    h.capture.failNext('editMessageText', EDIT_GONE);
    const answersBefore = recordTelegramCallsAtGateway('answerCallbackQuery');

    await h.send(press(ASHA, buttons[0], ticket));

    assert.equal(h.gateway.callsOf('place-order').length, 1);
    assert.deepEqual(answersBefore, [0], 'the job starts before the answer');
    assert.match(h.capture.texts(ASHA).at(-1) ?? '', /Order X7 submitted/);
    const msgs = h.logs.map((l) => l.msg);
    assert.ok(msgs.includes('button answer failed'));
    assert.ok(msgs.includes('ticket edit failed'));
    assert.ok(!msgs.includes('update failed'));
  });

  it('a cancel survives a refused answer too', async () => {
    h.gateway.done('orders', [sampleOrder()]);
    h.gateway.done('cancel-order', {
      orderId: '1161231234567',
      outcome: 'cancelled',
      order: null,
    });
    const { ticket, buttons } = await ticketFor(
      h,
      ASHA,
      '/cancel 1161231234567',
    );
    h.capture.failNext('answerCallbackQuery', FLOOD);
    await h.send(press(ASHA, buttons[0], ticket));
    assert.equal(h.gateway.callsOf('cancel-order').length, 1);
    assert.match(
      h.capture.texts(ASHA).at(-1) ?? '',
      /Cancel sent for order 1161231234567/,
    );
  });

  it('/panic: halt, then the job, then the answer; failing UI calls are logged only', async () => {
    h.gateway.done('orders', [sampleOrder()]);
    h.gateway.done('panic', EMPTY_PANIC);
    const { ticket, buttons } = await ticketFor(h, ASHA, '/panic');
    h.capture.failNext('answerCallbackQuery', TOO_OLD);
    h.capture.failNext('editMessageText', FLOOD);
    h.capture.failNext('sendMessage', FLOOD, { chatId: ASHA });
    let haltedAtCall: Promise<boolean> | undefined;
    const original = h.gateway.call.bind(h.gateway);
    h.gateway.call = (name: never, data: never, options: never) => {
      haltedAtCall = h.control.isHalted();
      return original(name, data, options);
    };
    const answersBefore = recordTelegramCallsAtGateway('answerCallbackQuery');

    await h.send(press(ASHA, buttons[0], ticket));

    assert.equal(await h.control.isHalted(), true);
    assert.equal(await haltedAtCall, true);
    assert.equal(h.gateway.callsOf('panic').length, 1);
    assert.deepEqual(answersBefore, [0]);
    assert.match(h.capture.texts(ASHA).at(-1) ?? '', /Nothing is left open/);
    const msgs = h.logs.map((l) => l.msg);
    for (const msg of [
      'button answer failed',
      'ticket edit failed',
      'halt notice not sent',
    ]) {
      assert.ok(msgs.includes(msg), msg);
    }
    assert.ok(!msgs.includes('update failed'));
  });

  it('a dismissal whose answer fails is still a dismissal', async () => {
    h.gateway.done('quote', [sampleQuote()]);
    const { ticket, buttons } = await ticketFor(h, ASHA, '/buy INFY 5');
    h.capture.failNext('answerCallbackQuery', TOO_OLD);
    await h.send(press(ASHA, buttons[1], ticket));
    await h.send(press(ASHA, buttons[0], ticket));
    assert.equal(h.gateway.callsOf('place-order').length, 0);
    assert.deepEqual(answers(h).at(-1), 'Already dismissed.');
    assert.match(
      visibleText(
        String(h.capture.callsOf('editMessageText')[0]?.payload.text),
      ),
      /Dismissed/,
    );
  });
});

describe('tickets only for what can happen', () => {
  let h: BotHarness;
  beforeEach(() => {
    h = startBotHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  /** True when no message so far carried buttons. */
  function noTicket(): boolean {
    return h.capture
      .callsOf('sendMessage')
      .every((c) => c.payload.reply_markup === undefined);
  }

  it('/cancel of an id the book does not have: says so, no ticket', async () => {
    h.gateway.done('orders', [sampleOrder({ orderId: '1161231234567' })]);
    await h.send(textMessage(ASHA, '/cancel 999'));
    assert.deepEqual(h.capture.texts(ASHA), [
      "📝 PAPER\nNo order 999 in today's book. Check the id with /orders.",
    ]);
    assert.ok(noTicket());
    assert.equal(h.gateway.callsOf('orders')[0]?.options?.deadlineMs, 200);
  });

  it('/cancel of a closed order: says its state, no ticket', async () => {
    h.gateway.done('orders', [
      sampleOrder({
        orderId: '1161231234567',
        status: 'Traded',
        state: 'filled',
        filledQuantity: 5,
        pendingQuantity: 0,
      }),
    ]);
    await h.send(textMessage(ASHA, '/cancel 1161231234567'));
    assert.match(
      h.capture.texts(ASHA)[0] ?? '',
      /Order 1161231234567 is already Traded; nothing to cancel\.\nBUY 5 NSE:INFY/,
    );
    assert.ok(noTicket());
  });

  it('/cancel of an open order: the ticket shows what it is', async () => {
    h.gateway.done('orders', [
      sampleOrder({ orderId: '1161231234567', filledQuantity: 2 }),
    ]);
    const { ticket } = await ticketFor(h, ASHA, '/cancel 1161231234567');
    assert.match(
      visibleText(String(ticket?.payload.text)),
      /Cancel order 1161231234567\?\nBUY 5 NSE:INFY @ ₹1,500\.00 \(CNC\) · Pending, 2\/5 filled\nExpires/,
    );
  });

  it('/cancel when the book cannot be read: a ticket that says so', async () => {
    h.gateway.fail('orders', 'The broker is offline.');
    const { ticket } = await ticketFor(h, ASHA, '/cancel 1161231234567');
    assert.match(
      visibleText(String(ticket?.payload.text)),
      /order book could not be read right now, so this order was not checked/,
    );
  });

  it('/cancel with letters: a hint, no look-up', async () => {
    await h.send(textMessage(ASHA, '/cancel ORD-12'));
    assert.match(
      h.capture.texts(ASHA)[0] ?? '',
      /"ORD-12" is not an order id: ids are digits only/,
    );
    assert.equal(h.gateway.calls.length, 0);
  });

  it('/buy of a symbol the broker does not know: refused, no ticket', async () => {
    h.gateway.done('quote', [
      sampleQuote({ symbol: 'XYZABC', found: false, lastPrice: null }),
    ]);
    await h.send(textMessage(ASHA, '/buy xyzabc 1'));
    await h.send(textMessage(ASHA, '/sell BSE:XYZABC 1 10'));
    assert.deepEqual(h.capture.texts(ASHA), [
      '📝 PAPER\nNSE:XYZABC is not a known symbol.',
      '📝 PAPER\nBSE:XYZABC is not a known symbol.',
    ]);
    assert.ok(noTicket());
  });

  it('/resume while not halted: says so, no ticket', async () => {
    await h.send(textMessage(DEV, '/resume'));
    assert.deepEqual(h.capture.texts(DEV), [
      '📝 PAPER\nTrading is not halted.',
    ]);
    assert.ok(noTicket());
  });

  it('/panic while halted: the ticket says so, and Confirm cancels again', async () => {
    await h.control.halt(DEV);
    h.gateway.done('orders', [sampleOrder()]);
    h.gateway.done('panic', {
      openBefore: 1,
      cancelled: [sampleOrder({ status: 'Cancelled', state: 'cancelled' })],
      alreadyClosed: [],
      failed: [],
      stillOpen: [],
      verified: true,
    });
    const { ticket, buttons } = await ticketFor(h, ASHA, '/panic');
    assert.match(
      visibleText(String(ticket?.payload.text)),
      /Trading is already halted\. Cancel every open order again\?\n1 open order right now/,
    );
    await h.send(press(ASHA, buttons[0], ticket));
    assert.equal(h.gateway.callsOf('panic').length, 1);
    assert.equal((await h.control.haltInfo()).by, DEV, 'the halt is kept');
    assert.match(h.capture.texts(ASHA).at(-1) ?? '', /Cancelled 1/);
  });
});

describe('one message per chat for a halt or a resume', () => {
  let h: BotHarness;
  let announced: AlertJobData[];
  let refuse: boolean;
  beforeEach(() => {
    announced = [];
    refuse = false;
    h = startBotHarness({
      announce: (alert) => {
        if (refuse) return Promise.reject(new Error('alerts queue down'));
        announced.push(alert);
        return Promise.resolve();
      },
    });
  });
  afterEach(async () => {
    await h.close();
  });

  /** Delivers what was announced, as the alert consumer would. */
  async function deliverAnnounced(): Promise<void> {
    const deliver = createNotifier({
      api: h.bot.api,
      config: h.config,
      logger: memoryLogger([]),
    });
    for (const alert of announced) {
      const report = await deliver(alert, []);
      assert.deepEqual(report.retry, []);
    }
  }

  const resumedTexts = (chat: number) =>
    h.capture.texts(chat).filter((t) => /resumed/i.test(t));

  it('/resume in a recipient chat: the announcement is the only message there; others get it too', async () => {
    await h.control.halt(ASHA);
    const { ticket, buttons } = await ticketFor(h, DEV, '/resume');
    await h.send(press(DEV, buttons[0], ticket, DEV));
    assert.equal(await h.control.isHalted(), false);
    assert.equal(announced.length, 1);
    assert.deepEqual(resumedTexts(DEV), [], 'no direct reply');

    await deliverAnnounced();
    assert.equal(resumedTexts(DEV).length, 1);
    assert.match(resumedTexts(DEV)[0] ?? '', /Trading resumed by 444444444/);
    assert.equal(resumedTexts(ASHA).length, 1, 'other recipients hear of it');
  });

  it('/resume in a chat that gets no alerts: answered there directly', async () => {
    await h.control.halt(ASHA);
    await h.send(textMessage(DEV, '/resume', { chatId: DESK_GROUP }));
    const ticket = h.capture.messages(DESK_GROUP)[0];
    const [confirm] = buttonsOf(ticket);
    await h.send(press(DEV, confirm, ticket, DESK_GROUP));
    assert.equal(announced.length, 1);
    assert.match(h.capture.texts(DESK_GROUP).at(-1) ?? '', /Trading resumed/);
  });

  it('/resume whose announcement fails: answered directly', async () => {
    refuse = true;
    await h.control.halt(ASHA);
    const { ticket, buttons } = await ticketFor(h, DEV, '/resume');
    await h.send(press(DEV, buttons[0], ticket, DEV));
    assert.match(h.capture.texts(DEV).at(-1) ?? '', /Trading resumed/);
  });

  it('/panic in a recipient chat: the halt announcement replaces the notice', async () => {
    h.gateway.done('orders', []);
    const job = h.gateway.pending('panic');
    try {
      const { ticket, buttons } = await ticketFor(h, ASHA, '/panic');
      await h.send(press(ASHA, buttons[0], ticket));
      assert.equal(announced.length, 1);
      assert.deepEqual(
        h.capture.texts(ASHA).filter((t) => /halted/i.test(t)),
        [],
      );
      await deliverAnnounced();
      assert.equal(
        h.capture.texts(ASHA).filter((t) => /Trading halted/.test(t)).length,
        1,
      );
    } finally {
      // Settled either way, so close() never waits on its follow-up.
      job.resolve({ status: 'failed', message: 'test over' });
    }
  });
});
