import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/logger.ts';
import { Account } from '../../src/simulator/account.ts';
import { SimulatorError } from '../../src/simulator/errors.ts';
import {
  epochCounterFloor,
  formatOrderId,
  orderCounterFloor,
} from '../../src/simulator/ids.ts';
import { Market } from '../../src/simulator/market.ts';
import { PaperBroker } from '../../src/simulator/paper-broker.ts';
import { createRandom } from '../../src/simulator/random.ts';

/**
 * Ids of the paper broker never repeat: 16-digit order ids carry the IST
 * date and a counter that a later start begins above, even with no saved
 * state, as long as orders came slower than 100 a second.
 */

const IST_OFFSET_MS = (5 * 60 + 30) * 60 * 1000;
const ist = (y: number, mo: number, d: number, h: number, mi = 0, s = 0) =>
  Date.UTC(y, mo - 1, d, h, mi, s) - IST_OFFSET_MS;

function broker(at: number) {
  const clock = { t: at };
  const paper = new PaperBroker({
    now: () => clock.t,
    market: new Market(createRandom(3)),
    account: new Account(1_000_000),
    random: createRandom(4),
    username: 'PAPER1',
    partialFillRatio: 0,
    maxFillPerTick: Number.POSITIVE_INFINITY,
    marketHours: false,
    logger: createLogger('silent'),
  });
  return { paper, clock };
}

function buyIdea(paper: PaperBroker) {
  const outcome = paper.place({
    exchange: 'NSE',
    tradingsymbol: 'IDEA',
    side: 'BUY',
    orderType: 'MARKET',
    quantity: 1,
    product: 'CNC',
    validity: 'DAY',
    price: 0,
    triggerPrice: 0,
    disclosedQuantity: 0,
    tag: null,
  });
  assert.ok(outcome.ok);
  return outcome.value;
}

describe('simulator ids', () => {
  it('formats 16 digits: prefix, IST date, 7-digit counter', () => {
    assert.equal(formatOrderId(ist(2025, 2, 6, 10), 42), '1112502060000042');
    // 18:30 UTC is already the next day in India.
    assert.equal(
      formatOrderId(Date.UTC(2025, 1, 6, 18, 30), 0).slice(3, 9),
      '250207',
    );
    assert.throws(
      () => formatOrderId(ist(2025, 2, 6, 10), 10_000_000),
      SimulatorError,
    );
  });

  it('starts the order counter at centiseconds since IST midnight', () => {
    assert.equal(orderCounterFloor(ist(2025, 2, 6, 0)), 0);
    assert.equal(orderCounterFloor(ist(2025, 2, 6, 10) + 50), 3_600_005);
    assert.equal(orderCounterFloor(ist(2025, 2, 7, 0) - 1), 8_639_999);
    assert.equal(epochCounterFloor(12_345), 1234);
  });

  it('gives a later start ids above an earlier one, without saved state', () => {
    const start = ist(2025, 2, 6, 11, 0);
    const first = broker(start).paper;
    const early = Array.from({ length: 50 }, () => buyIdea(first));
    // One second later: 50 orders in a second stay below 100 a second.
    const second = broker(start + 1000).paper;
    const late = Array.from({ length: 50 }, () => buyIdea(second));

    const lastEarly = early.at(-1)!;
    const firstLate = late[0]!;
    assert.ok(firstLate.orderId > lastEarly.orderId);
    assert.ok(
      BigInt(firstLate.exchangeOrderId) > BigInt(lastEarly.exchangeOrderId),
    );
    const trades = [...first.tradesToday(), ...second.tradesToday()];
    assert.equal(new Set(trades.map((t) => t.tradeId)).size, 100);
    for (const order of [...early, ...late]) {
      assert.match(order.orderId, /^111250206\d{7}$/);
      assert.match(order.exchangeOrderId, /^\d{16}$/);
    }
  });

  it('uses the new date after a day rollover, ids still distinct', () => {
    const { paper, clock } = broker(ist(2025, 2, 6, 23, 59));
    const before = buyIdea(paper);
    clock.t = ist(2025, 2, 7, 0, 0, 1);
    const after = buyIdea(paper);
    assert.equal(before.orderId.slice(3, 9), '250206');
    assert.equal(after.orderId, '1112502070000100');
  });
});
