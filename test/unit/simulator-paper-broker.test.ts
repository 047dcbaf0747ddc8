import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/logger.ts';
import { Account } from '../../src/simulator/account.ts';
import { SimulatorError } from '../../src/simulator/errors.ts';
import { Market } from '../../src/simulator/market.ts';
import type { PlaceInput } from '../../src/simulator/order-form.ts';
import { pendingQuantity } from '../../src/simulator/order.ts';
import { PaperBroker } from '../../src/simulator/paper-broker.ts';
import { createRandom } from '../../src/simulator/random.ts';

const IST_OFFSET_MS = (5 * 60 + 30) * 60 * 1000;
const ist = (y: number, mo: number, d: number, h: number, mi = 0) =>
  Date.UTC(y, mo - 1, d, h, mi) - IST_OFFSET_MS;

interface Setup {
  cash?: number;
  partialFillRatio?: number;
  maxFillPerTick?: number;
  marketHours?: boolean;
  start?: number;
}

function setup(options: Setup = {}) {
  const clock = { t: options.start ?? ist(2025, 2, 6, 10, 0) };
  const market = new Market(createRandom(7));
  const account = new Account(options.cash ?? 1_000_000);
  const itc = market.find('NSE:ITC')!;
  account.addHolding(itc.company, 50, 400);
  const broker = new PaperBroker({
    now: () => clock.t,
    market,
    account,
    random: createRandom(99),
    username: 'PAPER1',
    partialFillRatio: options.partialFillRatio ?? 0,
    maxFillPerTick: options.maxFillPerTick ?? Number.POSITIVE_INFINITY,
    marketHours: options.marketHours ?? false,
    logger: createLogger('silent'),
  });
  const instrument = (key: string) => market.find(key)!;
  const set = (key: string, price: number) =>
    broker.setPrice(instrument(key), price);
  return { broker, clock, market, account, instrument, set };
}

function input(overrides: Partial<PlaceInput> = {}): PlaceInput {
  return {
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
  };
}

function placed(broker: PaperBroker, overrides: Partial<PlaceInput> = {}) {
  const outcome = broker.place(input(overrides));
  assert.ok(outcome.ok, JSON.stringify(outcome));
  return outcome.value;
}

describe('paper broker: market orders', () => {
  it('fills a market buy at once at the last price and pays for delivery', () => {
    const { broker, set } = setup();
    set('NSE:INFY', 1500);
    const order = placed(broker, { quantity: 10 });
    assert.equal(order.status, 'Traded');
    assert.equal(order.statusMessage, 'TRADE CONFIRMED');
    assert.equal(order.filledQuantity, 10);
    assert.equal(order.averagePrice, 1500);
    assert.match(order.orderId, /^\d{16}$/);
    assert.match(order.exchangeOrderId, /^\d{16}$/);
    assert.equal(broker.funds().cash, 1_000_000 - 15_000);
    assert.equal(broker.tradesToday().length, 1);
  });

  it('gives consecutive orders distinct ids that carry the IST date', () => {
    const { broker } = setup();
    const a = placed(broker);
    const b = placed(broker);
    assert.notEqual(a.orderId, b.orderId);
    assert.equal(a.orderId.slice(3, 9), '250206');
  });

  it('fills at most maxFillPerTick a round, the rest on later rounds', () => {
    const { broker, set } = setup({ maxFillPerTick: 4 });
    set('NSE:INFY', 1500);
    const order = placed(broker, { quantity: 10 });
    assert.equal(order.filledQuantity, 4);
    assert.equal(order.status, 'Pending');
    set('NSE:INFY', 1501);
    assert.equal(order.filledQuantity, 8);
    set('NSE:INFY', 1502);
    assert.equal(order.status, 'Traded');
    assert.equal(broker.tradesToday().length, 3);
  });
});

describe('paper broker: limit orders', () => {
  it('rests a limit buy below the market and fills it at its limit when crossed', () => {
    const { broker, set } = setup();
    set('NSE:INFY', 1500);
    const order = placed(broker, { orderType: 'LIMIT', price: 1450 });
    assert.equal(order.status, 'Pending');
    assert.equal(pendingQuantity(order), 10);
    set('NSE:INFY', 1460);
    assert.equal(order.filledQuantity, 0);
    set('NSE:INFY', 1440);
    assert.equal(order.status, 'Traded');
    // A resting order trades at its own price, not the lower print.
    assert.equal(order.averagePrice, 1450);
  });

  it('fills a marketable limit at once at the better last price', () => {
    const { broker, set } = setup();
    set('NSE:INFY', 1500);
    const buy = placed(broker, { orderType: 'LIMIT', price: 1550 });
    assert.equal(buy.status, 'Traded');
    assert.equal(buy.averagePrice, 1500);
  });

  it('fills 30-70 % on a partial crossing, then the rest on the next one', () => {
    const { broker, set } = setup({ partialFillRatio: 1 });
    set('NSE:INFY', 1500);
    const order = placed(broker, {
      orderType: 'LIMIT',
      price: 1450,
      quantity: 100,
    });
    set('NSE:INFY', 1450);
    assert.equal(order.status, 'Pending');
    assert.ok(
      order.filledQuantity >= 30 && order.filledQuantity <= 70,
      `filled ${order.filledQuantity}`,
    );
    set('NSE:INFY', 1449);
    assert.equal(order.status, 'Traded');
    assert.equal(order.filledQuantity, 100);
    assert.equal(broker.tradesToday().length, 2);
  });

  it('never fills partly when the ratio is 0, nor a single share', () => {
    const { broker, set } = setup({ partialFillRatio: 0 });
    set('NSE:INFY', 1500);
    const a = placed(broker, { orderType: 'LIMIT', price: 1450, quantity: 50 });
    set('NSE:INFY', 1450);
    assert.equal(a.status, 'Traded');
    const { broker: b2, set: set2 } = setup({ partialFillRatio: 1 });
    set2('NSE:INFY', 1500);
    const one = placed(b2, { orderType: 'LIMIT', price: 1450, quantity: 1 });
    set2('NSE:INFY', 1450);
    assert.equal(one.status, 'Traded');
  });

  it('cancels what an IOC limit could not fill at once', () => {
    const { broker, set } = setup();
    set('NSE:INFY', 1500);
    const order = placed(broker, {
      orderType: 'LIMIT',
      price: 1400,
      validity: 'IOC',
    });
    assert.equal(order.status, 'Cancelled');
    assert.equal(order.cancelledQuantity, 10);
  });

  it('refuses prices off the tick grid', () => {
    const { broker } = setup();
    const outcome = broker.place(input({ orderType: 'LIMIT', price: 1450.03 }));
    assert.equal(outcome.ok, false);
    assert.ok(!outcome.ok && outcome.refusal.kind === 'input');
    assert.match(!outcome.ok ? outcome.refusal.message : '', /tick size 0.05/);
    // IDEA trades below ₹250, with a one-paisa tick.
    const idea = broker.place(
      input({ tradingsymbol: 'IDEA', orderType: 'LIMIT', price: 6.01 }),
    );
    assert.ok(idea.ok);
  });

  it('refuses an unknown symbol without recording an order', () => {
    const { broker } = setup();
    const outcome = broker.place(input({ tradingsymbol: 'NOSUCH' }));
    assert.ok(!outcome.ok && outcome.refusal.kind === 'refused');
    assert.equal(broker.orders().length, 0);
  });
});

describe('paper broker: stop orders', () => {
  it('triggers a stop-loss market sell when the price falls through', () => {
    const { broker, set } = setup();
    set('NSE:ITC', 420);
    const order = placed(broker, {
      tradingsymbol: 'ITC',
      side: 'SELL',
      orderType: 'SL-M',
      triggerPrice: 410,
      quantity: 20,
    });
    assert.equal(order.status, 'Pending');
    set('NSE:ITC', 409.5);
    assert.equal(order.status, 'Traded');
    assert.equal(order.averagePrice, 409.5);
    const statuses = order.history.map((h) => h.status);
    assert.deepEqual(statuses, ['Pending', 'Triggered', 'Traded']);
    assert.equal(order.history[1]?.statusMessage, 'STOPLOSS TRIGGER');
  });

  it('leaves a triggered stop-limit working when its limit is not reached', () => {
    const { broker, set } = setup();
    set('NSE:INFY', 1500);
    const order = placed(broker, {
      orderType: 'SL',
      triggerPrice: 1520,
      price: 1525,
    });
    set('NSE:INFY', 1530);
    assert.equal(order.status, 'Triggered');
    assert.equal(order.filledQuantity, 0);
    set('NSE:INFY', 1524);
    assert.equal(order.status, 'Traded');
    assert.equal(order.averagePrice, 1525);
  });
});

describe('paper broker: RMS', () => {
  it('accepts an order it cannot afford, then shows it Rejected with the RMS text', () => {
    const { broker, set } = setup({ cash: 10_000 });
    set('NSE:INFY', 1500);
    const outcome = broker.place(input({ quantity: 10, product: 'MIS' }));
    assert.ok(outcome.ok, 'the reply still carries an order id');
    const order = outcome.value;
    assert.equal(order.status, 'Rejected');
    assert.equal(order.exchangeOrderId, '0');
    assert.equal(order.filledQuantity, 0);
    assert.match(
      order.statusMessage,
      new RegExp(
        `^RMS:${order.orderId}:NSE,EQUITY,1594,INFY,INTRADAY,,EQ,PAPER1,B,10,I,1500\\.00000,FUND LIMIT INSUFFICIENT,AVAILABLE FUND=10000,ADDITIONAL REQUIRED FUND=5000,CALCULATED MARGIN FOR ORDER=15000$`,
      ),
    );
    assert.equal(broker.funds().available, 10_000);
  });

  it('blocks funds for pending buys and releases them on cancel', () => {
    const { broker, set } = setup({ cash: 100_000 });
    set('NSE:INFY', 1500);
    const order = placed(broker, {
      orderType: 'LIMIT',
      price: 1400,
      quantity: 50,
    });
    assert.equal(broker.funds().available, 100_000 - 70_000);
    assert.equal(broker.funds().utilised, 70_000);
    const second = placed(broker, {
      orderType: 'LIMIT',
      price: 1400,
      quantity: 50,
    });
    assert.equal(second.status, 'Rejected', 'only 30 000 left unblocked');
    assert.ok(broker.cancel(order.orderId).ok);
    assert.equal(broker.funds().available, 100_000);
  });

  it('rejects a delivery sell beyond holdings, counting pending sells', () => {
    const { broker, set } = setup();
    set('NSE:ITC', 420);
    const tooMany = placed(broker, {
      tradingsymbol: 'ITC',
      side: 'SELL',
      quantity: 51,
    });
    assert.equal(tooMany.status, 'Rejected');
    assert.match(
      tooMany.statusMessage,
      /INSUFFICIENT HOLDINGS FOR DELIVERY SELL,AVAILABLE QUANTITY=50,REQUIRED QUANTITY=51$/,
    );
    const resting = placed(broker, {
      tradingsymbol: 'ITC',
      side: 'SELL',
      orderType: 'LIMIT',
      price: 450,
      quantity: 30,
    });
    assert.equal(resting.status, 'Pending');
    const rest = placed(broker, {
      tradingsymbol: 'ITC',
      side: 'SELL',
      quantity: 21,
    });
    assert.equal(rest.status, 'Rejected');
    const ok = placed(broker, {
      tradingsymbol: 'ITC',
      side: 'SELL',
      quantity: 20,
    });
    assert.equal(ok.status, 'Traded');
    assert.equal(broker.funds().cash, 1_000_000 + 20 * 420);
  });

  it('lets a BSE delivery sell use shares held through NSE', () => {
    const { broker } = setup();
    const order = placed(broker, {
      exchange: 'BSE',
      tradingsymbol: 'ITC',
      side: 'SELL',
      quantity: 50,
    });
    assert.equal(order.status, 'Traded');
  });

  it('allows an MIS short, blocking its value, and books P&L on the cover', () => {
    const { broker, set } = setup({ cash: 100_000 });
    set('NSE:SBIN', 800);
    placed(broker, {
      tradingsymbol: 'SBIN',
      side: 'SELL',
      product: 'MIS',
      quantity: 50,
    });
    assert.equal(broker.funds().available, 60_000);
    set('NSE:SBIN', 790);
    placed(broker, {
      tradingsymbol: 'SBIN',
      side: 'BUY',
      product: 'MIS',
      quantity: 50,
    });
    const funds = broker.funds();
    assert.equal(funds.realisedToday, 500);
    assert.equal(funds.available, 100_500);
    assert.equal(funds.cash, 100_000, 'MIS settles into cash at day end');
  });

  it('needs no money for the MIS sell that closes a long', () => {
    const { broker, set } = setup({ cash: 20_000 });
    set('NSE:INFY', 1500);
    placed(broker, { product: 'MIS', quantity: 10 });
    assert.equal(broker.funds().available, 5_000);
    const close = placed(broker, {
      product: 'MIS',
      side: 'SELL',
      quantity: 10,
    });
    assert.equal(close.status, 'Traded');
    assert.equal(broker.funds().available, 20_000);
  });
});

describe('paper broker: cancel and modify', () => {
  it('cancels an open order once; a closed or unknown one "does not exsist"', () => {
    const { broker, set } = setup();
    set('NSE:INFY', 1500);
    const open = placed(broker, { orderType: 'LIMIT', price: 1400 });
    const filled = placed(broker);
    const cancelled = broker.cancel(open.orderId);
    assert.ok(cancelled.ok);
    assert.equal(open.status, 'Cancelled');
    assert.equal(open.cancelledQuantity, 10);
    for (const id of [open.orderId, filled.orderId, '1234567890123']) {
      const again = broker.cancel(id);
      assert.ok(!again.ok);
      assert.match(
        !again.ok ? again.refusal.message : '',
        /^Order Does not Exsist\.Need to refresh orderbook/,
      );
    }
  });

  it('cancels every open order with cancelAll and leaves closed ones alone', () => {
    const { broker, set } = setup();
    set('NSE:INFY', 1500);
    const a = placed(broker, { orderType: 'LIMIT', price: 1400 });
    const b = placed(broker, { orderType: 'LIMIT', price: 1300 });
    const done = placed(broker);
    const outcome = broker.cancelAll();
    assert.ok(outcome.ok);
    assert.deepEqual(
      outcome.value.map((o) => o.orderId),
      [a.orderId, b.orderId],
    );
    assert.equal(done.status, 'Traded');
  });

  it('modifies price and quantity; a marketable change fills', () => {
    const { broker, set } = setup();
    set('NSE:INFY', 1500);
    const order = placed(broker, { orderType: 'LIMIT', price: 1400 });
    const changed = broker.modify(order.orderId, { quantity: 12, price: 1410 });
    assert.ok(changed.ok);
    assert.equal(order.quantity, 12);
    assert.equal(order.modified, true);
    assert.equal(order.status, 'Pending');
    const crossed = broker.modify(order.orderId, { price: 1505 });
    assert.ok(crossed.ok);
    assert.equal(order.status, 'Traded');
    assert.equal(order.averagePrice, 1500);
    assert.ok(!broker.modify(order.orderId, { price: 1 }).ok);
  });

  it('refuses a modify that breaks the price rules or cannot be afforded', () => {
    const { broker, set } = setup({ cash: 20_000 });
    set('NSE:INFY', 1500);
    const order = placed(broker, { orderType: 'LIMIT', price: 1400 });
    const off = broker.modify(order.orderId, { price: 1400.02 });
    assert.ok(!off.ok && off.refusal.kind === 'input');
    const broke = broker.modify(order.orderId, { quantity: 100 });
    assert.ok(!broke.ok && broke.refusal.kind === 'rms');
    assert.equal(order.quantity, 10, 'a refused modify changes nothing');
    const toMarket = broker.modify(order.orderId, { orderType: 'MARKET' });
    assert.ok(toMarket.ok);
    assert.equal(order.status, 'Traded');
  });
});

describe('paper broker: controls, hours and days', () => {
  it('fills and rejects on command, and refuses closed or unknown orders', () => {
    const { broker, set } = setup();
    set('NSE:INFY', 1500);
    const order = placed(broker, {
      orderType: 'LIMIT',
      price: 1400,
      quantity: 10,
    });
    broker.forceFill(order.orderId, 4);
    assert.equal(order.filledQuantity, 4);
    assert.equal(order.averagePrice, 1400);
    assert.throws(() => broker.forceFill(order.orderId, 7), SimulatorError);
    assert.throws(() => broker.forceFill(order.orderId, 0), SimulatorError);
    broker.forceReject(order.orderId, 'EXCH:16283:Price out of range');
    assert.equal(order.status, 'Rejected');
    assert.equal(order.cancelledQuantity, 6);
    assert.throws(
      () => broker.forceReject(order.orderId, 'x'),
      /already Rejected/,
    );
    assert.throws(() => broker.forceFill('999'), /no order 999/);
  });

  it('refuses order actions outside market hours when asked to', () => {
    const { broker, clock } = setup({
      marketHours: true,
      start: ist(2025, 2, 8, 11, 0), // Saturday
    });
    const outcome = broker.place(input());
    assert.ok(!outcome.ok);
    assert.equal(
      !outcome.ok && outcome.refusal.message,
      'System is not connected to NSE Equity market',
    );
    const bse = broker.place(input({ exchange: 'BSE' }));
    assert.match(!bse.ok ? bse.refusal.message : '', /BSE Equity/);
    clock.t = ist(2025, 2, 10, 9, 30); // Monday
    assert.ok(broker.place(input()).ok);
  });

  it('rolls the day: holdings take delivery, MIS settles, the book empties', () => {
    const { broker, set, clock, market, instrument } = setup({ cash: 100_000 });
    set('NSE:INFY', 1500);
    set('NSE:SBIN', 800);
    placed(broker, { quantity: 10 }); // CNC INFY
    placed(broker, { tradingsymbol: 'SBIN', product: 'MIS', quantity: 10 });
    placed(broker, { orderType: 'LIMIT', price: 1000, quantity: 1 });
    set('NSE:SBIN', 810);

    clock.t = ist(2025, 2, 7, 9, 20);
    assert.equal(broker.orders().length, 0);
    assert.equal(broker.tradesToday().length, 0);
    const infy = broker.account.holdings.get('INE009A01021');
    assert.equal(infy?.quantity, 10);
    assert.equal(infy?.averagePrice, 1500);
    assert.equal(broker.account.positions.size, 0);
    // Paid 15 000 for INFY; SBIN squared off at 810: +100.
    assert.equal(broker.funds().cash, 100_000 - 15_000 + 100);
    assert.equal(broker.funds().openingCash, broker.funds().cash);
    assert.equal(market.state(instrument('NSE:SBIN')).close, 810);
    assert.equal(broker.tradesBetween('2025-02-06', '2025-02-06').length, 2);
    assert.equal(broker.tradesBetween('2025-02-07', '2025-02-07').length, 0);
  });

  it('replays the same price walk from the same seed', () => {
    const a = new Market(createRandom(42));
    const b = new Market(createRandom(42));
    const c = new Market(createRandom(43));
    for (let i = 0; i < 50; i++) {
      a.step();
      b.step();
      c.step();
    }
    const key = a.find('NSE:RELIANCE')!;
    assert.equal(a.ltp(key), b.ltp(b.find('NSE:RELIANCE')!));
    assert.notEqual(a.ltp(key), c.ltp(c.find('NSE:RELIANCE')!));
    const state = a.state(key);
    assert.ok(state.high >= state.ltp && state.low <= state.ltp);
    assert.ok(state.high >= state.open && state.low <= state.open);
  });

  it('keeps every listing on its tick and positive through a long walk', () => {
    const market = new Market(createRandom(5));
    for (let i = 0; i < 2000; i++) market.step();
    for (const instrument of market.instruments) {
      const ltp = market.ltp(instrument);
      assert.ok(ltp > 0, instrument.key);
      const ticks = ltp / instrument.tickSize;
      assert.ok(
        Math.abs(ticks - Math.round(ticks)) < 1e-6,
        `${instrument.key} ${ltp}`,
      );
    }
  });
});
