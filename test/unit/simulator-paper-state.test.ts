import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/logger.ts';
import { Account } from '../../src/simulator/account.ts';
import { RESTORED_COUNTER_GAP } from '../../src/simulator/ids.ts';
import { Market } from '../../src/simulator/market.ts';
import type { PlaceInput } from '../../src/simulator/order-form.ts';
import { PaperBroker } from '../../src/simulator/paper-broker.ts';
import {
  PAPER_STATE_VERSION,
  PaperStateError,
  parsePaperState,
  type PaperState,
} from '../../src/simulator/paper-state.ts';
import { createRandom } from '../../src/simulator/random.ts';

/**
 * The paper state round trip: what one broker exports, another imports
 * and carries on with; text that does not fit is refused with a
 * PaperStateError before anything changes.
 */

const IST_OFFSET_MS = (5 * 60 + 30) * 60 * 1000;
const ist = (y: number, mo: number, d: number, h: number, mi = 0) =>
  Date.UTC(y, mo - 1, d, h, mi) - IST_OFFSET_MS;

function setup(seed: number, at = ist(2025, 2, 6, 10)) {
  const clock = { t: at };
  const market = new Market(createRandom(seed));
  const account = new Account(500_000);
  account.addHolding(market.find('NSE:ITC')!.company, 50, 400);
  let changes = 0;
  const broker = new PaperBroker({
    now: () => clock.t,
    market,
    account,
    random: createRandom(seed + 1),
    username: 'PAPER1',
    partialFillRatio: 0,
    maxFillPerTick: Number.POSITIVE_INFINITY,
    marketHours: false,
    logger: createLogger('silent'),
    onChange: () => {
      changes += 1;
    },
  });
  const set = (key: string, price: number) =>
    broker.setPrice(market.find(key)!, price);
  return { broker, clock, market, set, changes: () => changes };
}

function place(broker: PaperBroker, overrides: Partial<PlaceInput>) {
  const outcome = broker.place({
    exchange: 'NSE',
    tradingsymbol: 'INFY',
    side: 'BUY',
    orderType: 'MARKET',
    quantity: 10,
    product: 'CNC',
    validity: 'DAY',
    price: 0,
    triggerPrice: 0,
    disclosedQuantity: 0,
    tag: null,
    ...overrides,
  });
  assert.ok(outcome.ok);
  return outcome.value;
}

/** A busy morning: fills, a resting limit, a stop, an MIS trade. */
function busy() {
  const s = setup(11);
  s.set('NSE:INFY', 1500);
  s.set('NSE:SBIN', 800);
  place(s.broker, { quantity: 10 });
  const resting = place(s.broker, {
    orderType: 'LIMIT',
    price: 1450,
    quantity: 4,
    tag: 'tg_keep',
  });
  const stop = place(s.broker, {
    tradingsymbol: 'ITC',
    side: 'SELL',
    orderType: 'SL-M',
    triggerPrice: 380,
    quantity: 5,
  });
  place(s.broker, { tradingsymbol: 'SBIN', product: 'MIS', quantity: 3 });
  s.set('NSE:SBIN', 805.5);
  return { ...s, resting, stop };
}

const roundTrip = (broker: PaperBroker) =>
  parsePaperState(JSON.stringify(broker.exportState()));

describe('paper state', () => {
  it('restores books, account and prices that another broker carries on with', () => {
    const a = busy();
    const b = setup(99);
    b.broker.importState(roundTrip(a.broker));

    assert.deepEqual(b.broker.orders(), a.broker.orders());
    assert.deepEqual(b.broker.tradesToday(), a.broker.tradesToday());
    assert.deepEqual(b.broker.funds(), a.broker.funds());
    assert.deepEqual(
      [...b.broker.account.holdings.values()],
      [...a.broker.account.holdings.values()],
    );
    assert.deepEqual(
      [...b.broker.account.positions.values()],
      [...a.broker.account.positions.values()],
    );
    for (const instrument of a.market.instruments) {
      assert.deepEqual(
        b.market.state(b.market.find(instrument.key)!),
        a.market.state(instrument),
        instrument.key,
      );
    }
    // Restored orders use the new market's instruments, so they match.
    b.set('NSE:INFY', 1449);
    const resting = b.broker.order(a.resting.orderId)!;
    assert.equal(resting.status, 'Traded');
    assert.equal(resting.tag, 'tg_keep');
    b.set('NSE:ITC', 379);
    assert.equal(b.broker.order(a.stop.orderId)?.status, 'Traded');
    assert.equal(a.resting.status, 'Pending', 'the source is untouched');
  });

  it('continues the id counters past the saved ones', () => {
    const a = busy();
    const saved = a.broker.exportState();
    const b = setup(99);
    b.broker.importState(roundTrip(a.broker));
    const next = place(b.broker, { tradingsymbol: 'IDEA', quantity: 1 });
    assert.equal(
      Number(next.orderId.slice(9)),
      saved.counters.order + RESTORED_COUNTER_GAP,
    );
    const ids = [...a.broker.orders(), next].map((o) => o.orderId);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('rolls a state from an earlier day on import', () => {
    const a = busy();
    const b = setup(99, ist(2025, 2, 7, 9, 30));
    b.broker.importState(roundTrip(a.broker));
    assert.deepEqual(b.broker.orders(), []);
    assert.equal(b.broker.account.positions.size, 0);
    assert.equal(b.broker.account.holdings.get('INE009A01021')?.quantity, 10);
    // MIS 3 SBIN bought at 800, squared off at 805.50.
    assert.equal(b.broker.funds().openingCash, 500_000 - 15_000 + 3 * 5.5);
    assert.equal(b.market.state(b.market.find('NSE:SBIN')!).close, 805.5);
    assert.equal(b.broker.exportState().day, '2025-02-07');
    assert.ok(b.changes() > 0, 'the rollover asks for a save');
  });

  it('reports every change that a save must hold', () => {
    const s = setup(1);
    let seen = s.changes();
    const step = (label: string, act: () => void) => {
      act();
      assert.ok(s.changes() > seen, label);
      seen = s.changes();
    };
    step('price', () => s.set('NSE:INFY', 1500));
    step('tick', () => s.broker.tick());
    const order = place(s.broker, { orderType: 'LIMIT', price: 1000 });
    seen = s.changes();
    step('modify', () => {
      assert.ok(s.broker.modify(order.orderId, { price: 1001 }).ok);
    });
    step('fill', () => s.broker.forceFill(order.orderId, 2));
    step('cancel', () => {
      assert.ok(s.broker.cancel(order.orderId).ok);
    });
    const other = place(s.broker, { orderType: 'LIMIT', price: 1000 });
    seen = s.changes();
    step('reject', () => s.broker.forceReject(other.orderId, 'no'));
  });

  it('refuses text that is not a state of this version', () => {
    const good = JSON.stringify(busy().broker.exportState());
    const cases: [string, RegExp][] = [
      ['not json', /not valid JSON/],
      ['null', /version undefined/],
      [JSON.stringify({ ...JSON.parse(good), version: 2 }), /version 2/],
      [
        JSON.stringify({ ...JSON.parse(good), cash: null }),
        /malformed at cash/,
      ],
      [
        JSON.stringify({ ...JSON.parse(good), day: '6 Feb' }),
        /malformed at day/,
      ],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => parsePaperState(text),
        (err: unknown) =>
          err instanceof PaperStateError && message.test(err.message),
        text.slice(0, 40),
      );
    }
    assert.equal(parsePaperState(good).version, PAPER_STATE_VERSION);
  });

  it('changes nothing when a state names what the simulator lacks', () => {
    const state: PaperState = busy().broker.exportState();
    const unknownListing = {
      ...state,
      orders: state.orders.map((o, i) =>
        i === 0 ? { ...o, instrument: 'NSE:NOSUCH' } : o,
      ),
    };
    const missingOrder = {
      ...state,
      book: [...state.book, '1112502069999999'],
    };
    const tooManyToday = { ...state, dayTradeCount: state.trades.length + 1 };
    for (const bad of [unknownListing, missingOrder, tooManyToday]) {
      const b = setup(99);
      place(b.broker, { tradingsymbol: 'IDEA', quantity: 1 });
      const before = JSON.stringify(b.broker.exportState());
      assert.throws(() => b.broker.importState(bad), PaperStateError);
      assert.equal(JSON.stringify(b.broker.exportState()), before);
    }
  });
});
