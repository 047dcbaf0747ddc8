import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderAlert } from '../../src/bot/render-alert.ts';
import { renderQuotes } from '../../src/bot/render-market.ts';
import {
  renderOrders,
  renderPanicReport,
  renderPlaceResult,
} from '../../src/bot/render-orders.ts';
import {
  holdingPnl,
  renderHoldings,
  renderPositions,
} from '../../src/bot/render-portfolio.ts';
import { renderStatus } from '../../src/bot/render-status.ts';
import {
  renderCancelTicket,
  renderOrderTicket,
} from '../../src/bot/render-tickets.ts';
import type { PlaceOrderRequest } from '../../src/mstock/types.ts';
import {
  sampleHolding,
  sampleOrder,
  samplePosition,
  sampleQuote,
} from '../support/fake-gateway.ts';
import { checkTelegramHtml, visibleText } from '../support/telegram-capture.ts';

/** Valid for Telegram, and what the user reads. */
function shown(html: string): string {
  assert.equal(checkTelegramHtml(html), null, html);
  return visibleText(html);
}

const REASON = 'RMS: margin shortfall (required=1,234.50)! Try later.';
const AT = Date.UTC(2026, 10, 3, 8, 35, 9);

describe('FR-14: special characters render literally', () => {
  const request: PlaceOrderRequest = {
    exchange: 'NSE',
    symbol: 'BAJAJ-AUTO',
    side: 'BUY',
    quantity: 5,
    orderType: 'LIMIT',
    price: 1234.5,
    product: 'CNC',
    tag: 'tg_1_abc',
  };

  it('an order ticket for BAJAJ-AUTO at 1,234.50', () => {
    const text = shown(renderOrderTicket(request, 1230.05, 60));
    assert.match(text, /BUY 5 NSE:BAJAJ-AUTO @ ₹1,234\.50 \(CNC\)/);
    assert.match(text, /LTP ₹1,230\.05 · est\. value ₹6,172\.50/);
    assert.match(text, /Expires in 60 s\./);
  });

  it('a market ticket values the order at the LTP', () => {
    const market: PlaceOrderRequest = {
      ...request,
      orderType: 'MARKET',
      symbol: 'M&M',
    };
    delete market.price;
    const text = shown(renderOrderTicket(market, 2945.5, 60));
    assert.match(text, /BUY 5 NSE:M&M @ MARKET/);
    assert.match(text, /est\. value ₹14,727\.50/);
  });

  it('a fill alert for M&M and a rejection with ( ) = ! .', () => {
    const fill = shown(
      renderAlert({
        event: {
          kind: 'order',
          change: 'filled',
          order: sampleOrder({
            symbol: 'M&M',
            orderId: 'tg_1_abc',
            filledQuantity: 5,
            averagePrice: 1234.5,
            status: 'Traded',
            state: 'filled',
          }),
          previousFilled: 0,
        },
        mode: 'live',
        at: AT,
      }),
    );
    assert.match(
      fill,
      /Filled: BUY 5 NSE:M&M @ avg ₹1,234\.50 · order tg_1_abc/,
    );
    assert.match(fill, /14:05:09 IST/);

    const rejected = shown(
      renderAlert({
        event: {
          kind: 'order',
          change: 'rejected',
          order: sampleOrder({
            symbol: 'BAJAJ-AUTO',
            status: 'Rejected',
            state: 'rejected',
            statusMessage: REASON,
          }),
          previousFilled: 0,
        },
        mode: 'live',
        at: AT,
      }),
    );
    assert.ok(rejected.includes(`Reason: ${REASON}`), rejected);
  });

  it('a P&L of −12.5 (−0.8%) in positions', () => {
    const text = shown(
      renderPositions([samplePosition({ symbol: 'M&M', pnl: -12.5 })]),
    );
    assert.match(text, /NSE:M&M MIS {2}\+5 @ ₹1,500\.00/);
    assert.match(text, /P&L −₹12\.50/);
    assert.match(text, /Total P&L: −₹12\.50/);
  });

  it('a broker detail with < and > stays text', () => {
    const text = shown(
      renderAlert({
        event: { kind: 'broker', change: 'offline', detail: '<html> 502 & co' },
        mode: 'paper',
        at: AT,
      }),
    );
    assert.match(text, /Broker offline: <html> 502 & co/);
  });
});

describe('alerts', () => {
  it('a partial fill says +N, now X of Y', () => {
    const text = shown(
      renderAlert({
        event: {
          kind: 'order',
          change: 'partial',
          order: sampleOrder({
            quantity: 10,
            filledQuantity: 7,
            averagePrice: 1500,
          }),
          previousFilled: 3,
        },
        mode: 'live',
        at: AT,
      }),
    );
    assert.match(
      text,
      /Partly filled: BUY NSE:INFY \+4, now 7 of 10 @ avg ₹1,500\.00/,
    );
  });

  it('a rejection without a reason says so', () => {
    const text = shown(
      renderAlert({
        event: {
          kind: 'order',
          change: 'rejected',
          order: sampleOrder({ state: 'rejected', statusMessage: '  ' }),
          previousFilled: 0,
        },
        mode: 'live',
        at: AT,
      }),
    );
    assert.match(text, /Reason: no reason given/);
  });

  it('covers cancelled, broker and halt events', () => {
    const cancelled = shown(
      renderAlert({
        event: {
          kind: 'order',
          change: 'cancelled',
          order: sampleOrder({ filledQuantity: 2, state: 'cancelled' }),
          previousFilled: 2,
        },
        mode: 'live',
        at: AT,
      }),
    );
    assert.match(
      cancelled,
      /Cancelled: BUY 5 NSE:INFY .*\(2 of 5 had filled\)/,
    );
    const online = shown(
      renderAlert({
        event: { kind: 'broker', change: 'online', detail: '' },
        mode: 'live',
        at: AT,
      }),
    );
    assert.match(online, /Broker back online/);
    const login = shown(
      renderAlert({
        event: {
          kind: 'broker',
          change: 'login-failed',
          detail: 'Invalid TOTP',
        },
        mode: 'live',
        at: AT,
      }),
    );
    assert.match(login, /Broker login failed: Invalid TOTP\nCheck the MSTOCK_/);
    const halted = shown(
      renderAlert({
        event: { kind: 'halt', change: 'halted', by: 42 },
        mode: 'live',
        at: AT,
      }),
    );
    assert.match(halted, /Trading halted by 42/);
    const resumed = shown(
      renderAlert({
        event: { kind: 'halt', change: 'resumed', by: 42 },
        mode: 'live',
        at: AT,
      }),
    );
    assert.match(resumed, /Trading resumed by 42/);
  });
});

describe('FR-06: holdings never computed from NaN', () => {
  it('computes P&L from the average and last price', () => {
    assert.deepEqual(
      holdingPnl(
        sampleHolding({ quantity: 10, averagePrice: 100, lastPrice: 110.5 }),
      ),
      {
        invested: 1000,
        value: 1105,
        pnl: 105,
      },
    );
    assert.equal(holdingPnl(sampleHolding({ lastPrice: null })), null);
    assert.equal(holdingPnl(sampleHolding({ averagePrice: NaN })), null);
  });

  it('leaves unpriced lines out of the total and says so', () => {
    const text = shown(
      renderHoldings([
        sampleHolding({
          name: 'M&M LTD',
          quantity: 10,
          averagePrice: 100,
          lastPrice: 110.5,
        }),
        sampleHolding({ name: 'NO PRICE LTD', lastPrice: null }),
      ]),
    );
    assert.match(
      text,
      /M&M LTD {2}10 × ₹100\.00 → ₹110\.50 {2}P&L \+₹105\.00 \(\+10\.50%\)/,
    );
    assert.match(text, /NO PRICE LTD .*→ n\/a {2}P&L n\/a/);
    assert.match(
      text,
      /Total: invested ₹1,000\.00 · value ₹1,105\.00 · P&L \+₹105\.00/,
    );
    assert.match(text, /1 holding without a price left out of the total/);
    assert.doesNotMatch(text, /NaN/);
  });

  it('says so when there are none', () => {
    assert.match(shown(renderHoldings([])), /No holdings/);
  });
});

describe('quotes', () => {
  it('shows LTP, change against the previous close, and n/a', () => {
    const text = shown(
      renderQuotes([
        sampleQuote({ lastPrice: 2945.5, close: 2900 }),
        sampleQuote({ symbol: 'NOPE', found: false }),
        sampleQuote({ symbol: 'M&M', lastPrice: null }),
      ]),
    );
    assert.match(text, /NSE:INFY {2}₹2,945\.50 {2}▲ \+45\.50 \(\+1\.57%\)/);
    assert.match(text, /NSE:NOPE {2}not found/);
    assert.match(text, /NSE:M&M {2}n\/a {2}change n\/a/);
  });
});

describe('FR-05 and FR-09: order results', () => {
  const request: PlaceOrderRequest = {
    exchange: 'NSE',
    symbol: 'RELIANCE',
    side: 'BUY',
    quantity: 1,
    orderType: 'LIMIT',
    price: 2500,
    product: 'CNC',
    tag: 'tg-abc',
  };

  it('says submitted, never placed or filled', () => {
    const text = shown(
      renderPlaceResult(
        { outcome: 'submitted', orderId: 'X1', order: null },
        request,
      ),
    );
    assert.match(
      text,
      /Order X1 submitted: BUY 1 NSE:RELIANCE @ ₹2,500\.00 \(CNC\)/,
    );
    assert.doesNotMatch(text, /filled:|placed/i);
  });

  it('an unknown outcome tells to check the book first', () => {
    const text = shown(
      renderPlaceResult(
        { outcome: 'unknown', detail: 'No reply (timeout).' },
        request,
      ),
    );
    assert.match(text, /Could not confirm/);
    assert.match(text, /check \/orders before you send it again/);
  });

  it('a panic report counts each kind and lists each order', () => {
    const text = shown(
      renderPanicReport({
        openBefore: 3,
        cancelled: [
          sampleOrder({ orderId: 'A' }),
          sampleOrder({ orderId: 'C' }),
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
        failed: [],
        stillOpen: [],
        verified: true,
      }),
    );
    assert.match(text, /Cancelled 2, already closed 1, failed 0\./);
    assert.match(text, /B BUY 10 NSE:INFY .* Traded 10\/10 avg ₹1,502\.05/);
    assert.match(text, /Nothing is left open/);
    assert.doesNotMatch(text, /again to retry/);
  });

  it('a panic report warns about order-book rows it could not read', () => {
    const text = shown(
      renderPanicReport({
        openBefore: 0,
        cancelled: [],
        alreadyClosed: [],
        failed: [],
        stillOpen: [],
        verified: false,
        unreadableRows: 2,
        usedCancelAll: true,
      }),
    );
    assert.match(text, /cancelled at once with mStock's cancel-all/);
    assert.doesNotMatch(text, /Open orders found/);
    assert.match(text, /2 row\(s\) of the order book could not be read/);
    assert.doesNotMatch(text, /Nothing is left open/);
  });

  it('a failed cancel and an unverified book ask for a retry', () => {
    const text = shown(
      renderPanicReport({
        openBefore: 1,
        cancelled: [],
        alreadyClosed: [],
        failed: [
          { order: sampleOrder({ orderId: 'B' }), reason: 'HTTP 500 <html>' },
        ],
        stillOpen: [sampleOrder({ orderId: 'B' })],
        verified: false,
      }),
    );
    assert.match(text, /failed 1/);
    assert.match(text, /reason: HTTP 500 <html>/);
    assert.match(text, /Still open\n• B BUY/);
    assert.match(text, /Could not read the order book again/);
    assert.match(text, /Send \/panic again/);
  });
});

describe('status', () => {
  it('shows mode, halt, session expiry and queue depth', () => {
    const now = Date.UTC(2026, 10, 3, 8, 0);
    const text = shown(
      renderStatus({
        mode: 'live',
        halt: { halted: true, by: 111, at: now - 60_000 },
        broker: {
          online: true,
          loggedIn: true,
          sessionExpiresAt: now + 2 * 3_600_000 + 5 * 60_000,
          lastError: null,
          updatedAt: now - 5_000,
        },
        depth: { waiting: 2, active: 1, delayed: 0 },
        now,
      }),
    );
    assert.match(text, /Mode: ⚡ LIVE/);
    assert.match(text, /HALTED by 111 since 3 Nov,? 13:29 IST/);
    assert.match(
      text,
      /online, logged in, session valid until 15:35 IST \(2 h 5 min left\)/,
    );
    assert.doesNotMatch(text, /report|ago/, 'a fresh report is no news');
    assert.match(text, /Queue: 3 jobs waiting$/);
  });

  it('a session ending at midnight is valid until 23:59, not 00:00', () => {
    // 18:30 UTC is midnight IST.
    const midnight = Date.UTC(2026, 10, 3, 18, 30);
    const text = shown(
      renderStatus({
        mode: 'live',
        halt: { halted: false, by: null, at: null },
        broker: {
          online: true,
          loggedIn: true,
          sessionExpiresAt: midnight,
          lastError: null,
          updatedAt: midnight - 3_600_000,
        },
        depth: { waiting: 0, active: 0, delayed: 4 },
        now: midnight - 3_600_000 + 30_000,
      }),
    );
    assert.match(text, /session valid until 23:59 IST \(59 min left\)/);
    assert.doesNotMatch(text, /00:00/);
    assert.match(text, /Queue: no jobs waiting/, 'delayed jobs are no work');
  });

  it('warns when no worker has reported for over two minutes', () => {
    const now = Date.UTC(2026, 10, 3, 8, 0);
    const view = (updatedAt: number) =>
      shown(
        renderStatus({
          mode: 'live',
          halt: { halted: false, by: null, at: null },
          broker: {
            online: true,
            loggedIn: false,
            sessionExpiresAt: null,
            lastError: 'mStock refused it: Order rejected by exchange..',
            updatedAt,
          },
          depth: { waiting: 1, active: 0, delayed: 0 },
          now,
        }),
      );
    assert.doesNotMatch(view(now - 110_000), /reported/);
    const stale = view(now - 7 * 60_000);
    assert.match(stale, /⚠️ no worker has reported for 7 min/);
    assert.match(
      stale,
      /last error: mStock refused it: Order rejected by exchange\.\n/,
    );
    assert.match(stale, /Queue: 1 job waiting/);
  });

  it('says what it could not read', () => {
    const text = shown(
      renderStatus({
        mode: 'paper',
        halt: null,
        broker: null,
        depth: null,
        now: 0,
      }),
    );
    assert.match(text, /Trading: unknown/);
    assert.match(text, /no report from a worker yet/);
    assert.match(text, /Queue: unavailable/);
  });
});

describe('the same words everywhere', () => {
  it('INTRADAY reads MIS and DELIVERY reads CNC in orders, positions and tickets', () => {
    const intraday = sampleOrder({ orderId: '1', product: 'INTRADAY' });
    const delivery = sampleOrder({ orderId: '2', product: 'DELIVERY' });
    const margin = sampleOrder({ orderId: '3', product: 'MARGIN' });
    const orders = shown(renderOrders([intraday, delivery, margin], false));
    assert.match(orders, /^1 BUY 5 NSE:INFY @ ₹1,500\.00 MIS · Pending/m);
    assert.match(orders, /^2 BUY 5 NSE:INFY @ ₹1,500\.00 CNC · Pending/m);
    assert.match(orders, /^3 .* MARGIN · Pending/m);
    assert.doesNotMatch(orders, /INTRADAY|DELIVERY/);
    const positions = shown(
      renderPositions([samplePosition({ product: 'INTRADAY' })]),
    );
    assert.match(positions, /NSE:INFY MIS {2}\+5/);
    const ticket = shown(renderCancelTicket('1', intraday, 60));
    assert.match(ticket, /\(MIS\) · Pending, 0\/5 filled/);
  });
});

describe('/orders shows a status message only when it says something', () => {
  it('keeps rejection and exchange-cancel reasons, drops routine words', () => {
    const text = shown(
      renderOrders(
        [
          sampleOrder({ orderId: '1', statusMessage: 'CONFIRMED' }),
          sampleOrder({
            orderId: '2',
            status: 'Traded',
            state: 'filled',
            filledQuantity: 5,
            statusMessage: 'TRADE CONFIRMED',
          }),
          sampleOrder({ orderId: '3', statusMessage: 'UNSOLICITATED INSERT' }),
          sampleOrder({
            orderId: '4',
            status: 'Cancelled',
            state: 'cancelled',
            statusMessage: 'CANCELLED BY USER',
          }),
          sampleOrder({
            orderId: '5',
            status: 'Rejected',
            state: 'rejected',
            statusMessage: 'RMS:FUND LIMIT INSUFFICIENT',
          }),
          sampleOrder({
            orderId: '6',
            status: 'Cancelled',
            state: 'cancelled',
            statusMessage:
              'EXCH:16308:The order has been canceled due to price freeze..',
          }),
        ],
        false,
      ),
    );
    assert.doesNotMatch(
      text,
      /CONFIRMED|UNSOLICITATED|BY USER/,
      'routine words are noise',
    );
    assert.match(text, /^5 .*Rejected 0\/5\n {4}RMS:FUND LIMIT INSUFFICIENT$/m);
    assert.match(
      text,
      /\n {4}EXCH:16308:The order has been canceled due to price freeze\.$/,
    );
  });
});

describe('closed positions', () => {
  it('show the realised P&L, not 0 @ ₹0.00', () => {
    const text = shown(
      renderPositions([
        samplePosition({
          product: 'INTRADAY',
          quantity: 0,
          averagePrice: 0,
          lastPrice: 1510.05,
          pnl: 50.25,
        }),
      ]),
    );
    assert.match(text, /^NSE:INFY MIS {2}closed · realised P&L \+₹50\.25$/m);
    assert.doesNotMatch(text, /₹0\.00|\(closed\)|LTP/);
    assert.match(text, /Total P&L: \+₹50\.25/);
  });
});

describe('a submitted order says "will follow" only while open', () => {
  const request: PlaceOrderRequest = {
    exchange: 'NSE',
    symbol: 'INFY',
    side: 'BUY',
    quantity: 5,
    orderType: 'MARKET',
    product: 'MIS',
    tag: 'tg-abc',
  };
  const FOLLOW = /Fills and rejections will follow/;

  it('open, or not yet in the book: it will follow', () => {
    for (const order of [null, sampleOrder({ product: 'INTRADAY' })]) {
      assert.match(
        shown(
          renderPlaceResult(
            { outcome: 'submitted', orderId: 'X1', order },
            request,
          ),
        ),
        FOLLOW,
      );
    }
  });

  it('already Rejected (with its reason) or Traded: nothing follows', () => {
    const rejected = shown(
      renderPlaceResult(
        {
          outcome: 'submitted',
          orderId: 'X1',
          order: sampleOrder({
            status: 'Rejected',
            state: 'rejected',
            statusMessage: 'RMS:MARGIN EXCEEDS..',
          }),
        },
        request,
      ),
    );
    assert.match(rejected, /· Rejected\nReason: RMS:MARGIN EXCEEDS\.$/);
    assert.doesNotMatch(rejected, FOLLOW);
    const traded = shown(
      renderPlaceResult(
        {
          outcome: 'submitted',
          orderId: 'X1',
          order: sampleOrder({
            status: 'Traded',
            state: 'filled',
            filledQuantity: 5,
            statusMessage: 'TRADE CONFIRMED',
          }),
        },
        request,
      ),
    );
    assert.match(traded, /· Traded$/);
    assert.doesNotMatch(traded, FOLLOW);
  });
});
