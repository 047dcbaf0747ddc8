import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { createLogger } from '../../src/logger.ts';
import {
  redisSimulatorStore,
  SimulatorError,
  startSimulator,
  type Simulator,
  type SimulatorOptions,
  type SimulatorStore,
} from '../../src/simulator/simulator.ts';
import { connectRedis, deleteKeys, uniquePrefix } from '../support/redis.ts';
import {
  ist,
  openSimSession,
  type SimSession as Session,
} from '../support/sim-session.ts';

/**
 * The paper account outlives a restart through `store`: funds, holdings,
 * the day's books and prices come back, open orders keep matching, ids
 * never repeat, an unusable state gives a fresh account with a warning,
 * and a state from an earlier day goes through the day's rollover.
 */

type Row = Record<string, unknown>;

interface Envelope {
  status: string;
  message?: string;
  data: unknown;
}

interface MemoryStore extends SimulatorStore {
  text: string | null;
  saves: number;
}

function memoryStore(text: string | null = null): MemoryStore {
  const store: MemoryStore = {
    text,
    saves: 0,
    load: () => Promise.resolve(store.text),
    save: (state) => {
      store.text = state;
      store.saves += 1;
      return Promise.resolve();
    },
  };
  return store;
}

/** A pino logger whose lines land parsed in `lines`. */
function captureLogger() {
  const lines: Row[] = [];
  const logger = createLogger('info', {
    write: (line: string) => {
      lines.push(JSON.parse(line) as Row);
    },
  });
  return { logger, lines };
}

/** Every simulator a test started; closed after each test, even on failure. */
const opened: Simulator[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((sim) => sim.close()));
});

async function open(
  clock: { t: number },
  options: SimulatorOptions,
): Promise<Session> {
  const s = await openSimSession({
    clock,
    seed: 5,
    partialFillRatio: 0,
    ...options,
  });
  opened.push(s.sim);
  return s;
}

async function call<T = Row[]>(
  s: Session,
  method: string,
  route: string,
  form?: Record<string, string>,
): Promise<T> {
  const headers: Record<string, string> = {
    'X-Mirae-Version': '1',
    Authorization: `token ${s.sim.credentials.apiKey}:${s.token}`,
  };
  if (form !== undefined) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  }
  const res = await fetch(`${s.sim.baseUrl}/${route}`, {
    method,
    headers,
    body: form === undefined ? undefined : new URLSearchParams(form),
    signal: AbortSignal.timeout(5000),
  });
  const json = (await res.json()) as Envelope;
  assert.equal(json.status, 'success', JSON.stringify(json));
  return json.data as T;
}

async function place(s: Session, fields: Record<string, string>) {
  const data = await call<{ order_id: string }>(s, 'POST', 'orders/regular', {
    exchange: 'NSE',
    transaction_type: 'BUY',
    order_type: 'MARKET',
    product: 'CNC',
    validity: 'DAY',
    price: '0',
    trigger_price: '0',
    ...fields,
  });
  return data.order_id;
}

const funds = async (s: Session) =>
  (await call(s, 'GET', 'user/fundsummary'))[0]!;

describe('simulator persistence: restart with a store', () => {
  it('keeps funds, holdings, books and prices; an open limit still fills', async () => {
    const clock = { t: ist(2025, 2, 6, 11, 0) };
    const store = memoryStore();
    const first = await open(clock, { store });
    first.sim.setPrice('NSE:INFY', 1500);
    first.sim.setPrice('NSE:ITC', 430.5);
    const bought = await place(first, {
      tradingsymbol: 'INFY',
      quantity: '10',
    });
    const resting = await place(first, {
      tradingsymbol: 'INFY',
      quantity: '5',
      order_type: 'LIMIT',
      price: '1450',
    });
    await place(first, {
      tradingsymbol: 'ITC',
      quantity: '20',
      transaction_type: 'SELL',
    });
    const before = {
      funds: await funds(first),
      holdings: await call(first, 'GET', 'portfolio/holdings'),
      positions: await call<Row>(first, 'GET', 'portfolio/positions'),
      orders: await call(first, 'GET', 'orders'),
      trades: await call(first, 'GET', 'tradebook'),
    };
    assert.equal(before.orders.length, 3);
    assert.equal(before.funds.AMOUNT_UTILIZED, '7250.0');
    await first.sim.close();

    clock.t += 60_000;
    // Another seed: prices must come from the state, not the walk.
    const second = await open(clock, { store, seed: 77 });
    try {
      assert.notEqual(
        second.sim.credentials.apiKey,
        first.sim.credentials.apiKey,
      );
      assert.equal(second.sim.price('NSE:INFY'), 1500);
      assert.equal(second.sim.price('NSE:ITC'), 430.5);
      assert.deepEqual(await funds(second), before.funds);
      assert.deepEqual(
        await call(second, 'GET', 'portfolio/holdings'),
        before.holdings,
      );
      assert.deepEqual(
        await call<Row>(second, 'GET', 'portfolio/positions'),
        before.positions,
      );
      assert.deepEqual(await call(second, 'GET', 'orders'), before.orders);
      assert.deepEqual(await call(second, 'GET', 'tradebook'), before.trades);

      second.sim.setPrice('NSE:INFY', 1440);
      const rows = await call(second, 'GET', 'orders');
      const limit = rows.find((r) => r.order_id === resting);
      assert.equal(limit?.status, 'Traded');
      assert.equal(limit?.average_price, 1450);
      assert.equal(rows.find((r) => r.order_id === bought)?.status, 'Traded');
      const after = await funds(second);
      assert.equal(after.AMOUNT_UTILIZED, '0.0');
      assert.equal(
        Number(after.AVAILABLE_BALANCE),
        Number(before.funds.AVAILABLE_BALANCE),
      );
      assert.equal((await call(second, 'GET', 'tradebook')).length, 3);
    } finally {
      await second.sim.close();
    }
  });

  it('never stores the credentials', async () => {
    const clock = { t: ist(2025, 2, 6, 11, 0) };
    const store = memoryStore();
    const s = await open(clock, { store });
    await place(s, { tradingsymbol: 'INFY', quantity: '1' });
    const { apiKey, password, totpSecret } = s.sim.credentials;
    await s.sim.close();
    assert.ok(store.text !== null && store.text.length > 0);
    for (const secret of [apiKey, password, totpSecret, s.token]) {
      assert.equal(store.text.includes(secret), false);
    }
    assert.doesNotMatch(store.text, /password|totp|apiKey|api_key/i);
  });

  it('never repeats an order id across a restart within the same second', async () => {
    const clock = { t: ist(2025, 2, 6, 11, 0) };
    const store = memoryStore();
    const ids: string[] = [];
    for (let start = 0; start < 3; start += 1) {
      const s = await open(clock, { store });
      for (let i = 0; i < 4; i += 1) {
        ids.push(await place(s, { tradingsymbol: 'IDEA', quantity: '1' }));
      }
      // A restart at the very same instant: the clock gives no help.
      await s.sim.close();
    }
    assert.equal(new Set(ids).size, ids.length, ids.join(' '));
    for (const id of ids) assert.match(id, /^111250206\d{7}$/);
    const sorted = [...ids].sort();
    assert.deepEqual(ids, sorted, 'later ids are larger');
  });

  it('saves soon after a change without waiting for close, at most once per interval', async () => {
    const clock = { t: ist(2025, 2, 6, 11, 0) };
    const store = memoryStore();
    const s = await open(clock, { store, saveIntervalMs: 100 });
    try {
      await sleep(250);
      const atRest = store.saves;
      assert.ok(atRest >= 1, 'the starting account is stored');
      for (let i = 0; i < 50; i += 1) s.sim.setPrice('NSE:INFY', 1500 + i);
      const deadline = Date.now() + 2000;
      while (store.saves === atRest && Date.now() < deadline) await sleep(20);
      await sleep(250);
      assert.equal(store.saves, atRest + 1, 'a burst is one save');
      const copy = memoryStore(store.text);
      const peek = await open(clock, { store: copy });
      assert.equal(peek.sim.price('NSE:INFY'), 1549);
      await peek.sim.close();
    } finally {
      await s.sim.close();
    }
  });

  it('starts a fresh account with a warning from a corrupt or other-version state', async () => {
    const clock = { t: ist(2025, 2, 6, 11, 0) };
    const good = memoryStore();
    const seeded = await open(clock, { store: good });
    await place(seeded, { tradingsymbol: 'INFY', quantity: '2' });
    await seeded.sim.close();
    const newer = JSON.stringify({
      ...(JSON.parse(good.text!) as Row),
      version: 999,
    });
    const broken = JSON.stringify({
      ...(JSON.parse(good.text!) as Row),
      cash: 'lots',
    });

    for (const text of ['{"version":1,', newer, broken, '[]']) {
      const store = memoryStore(text);
      const { logger, lines } = captureLogger();
      const s = await open(clock, { store, logger, startingCash: 50_000 });
      try {
        const warning = lines.find((l) => l.level === 40);
        assert.ok(warning, `no warning for ${text.slice(0, 30)}`);
        assert.match(String(warning.msg), /starting a fresh account/);
        assert.equal(typeof warning.reason, 'string');
        assert.equal((await funds(s)).LIMIT_SOD, '50000.0');
        assert.deepEqual(await call(s, 'GET', 'orders'), []);
      } finally {
        await s.sim.close();
      }
      // The fresh account replaced the unusable text.
      assert.equal((JSON.parse(store.text!) as Row).version, 1);
    }
  });

  it('fails the start when the store cannot be read', async () => {
    const store: SimulatorStore = {
      load: () => Promise.reject(new Error('connection refused')),
      save: () => Promise.resolve(),
    };
    await assert.rejects(
      startSimulator({ tickMs: 0, store }),
      (err: unknown) =>
        err instanceof SimulatorError && /saved paper state/.test(err.message),
    );
  });

  it('rolls a state from an earlier day: delivery, MIS settled, book empty', async () => {
    const clock = { t: ist(2025, 2, 6, 11, 0) };
    const store = memoryStore();
    const first = await open(clock, { store, holdings: [] });
    first.sim.setPrice('NSE:INFY', 1500);
    first.sim.setPrice('NSE:SBIN', 800);
    await place(first, { tradingsymbol: 'INFY', quantity: '10' });
    await place(first, {
      tradingsymbol: 'SBIN',
      quantity: '10',
      product: 'MIS',
    });
    await place(first, {
      tradingsymbol: 'INFY',
      quantity: '5',
      order_type: 'LIMIT',
      price: '1400',
    });
    first.sim.setPrice('NSE:SBIN', 810);
    await first.sim.close();

    clock.t = ist(2025, 2, 7, 10, 0);
    const { logger, lines } = captureLogger();
    const next = await open(clock, { store, logger });
    try {
      assert.ok(lines.some((l) => l.msg === 'day rollover'));
      assert.deepEqual(await call(next, 'GET', 'orders'), []);
      assert.deepEqual(await call(next, 'GET', 'tradebook'), []);
      const holdings = await call(next, 'GET', 'portfolio/holdings');
      assert.equal(holdings.length, 1);
      assert.equal(holdings[0]?.isin, 'INE009A01021');
      assert.equal(holdings[0]?.quantity, 10);
      assert.equal(holdings[0]?.average_price, 1500);
      // Cash: minus the delivery buy, plus the MIS profit of 10 × ₹10.
      const f = await funds(next);
      assert.equal(Number(f.LIMIT_SOD), 1_000_000 - 15_000 + 100);
      assert.equal(f.AMOUNT_UTILIZED, '0.0');
      // Yesterday's last price is today's close.
      const ohlc = await call<Record<string, { ohlc: Row }>>(
        next,
        'GET',
        'instruments/quote/ohlc?i=NSE:SBIN',
      );
      assert.equal(ohlc['NSE:SBIN']?.ohlc.close, 810);
      // Yesterday's fills stay in the trade history.
      const history = await call(
        next,
        'GET',
        'trades?fromdate=2025-02-06&todate=2025-02-06',
      );
      assert.equal(history.length, 2);
      // Today's ids carry today's date.
      const id = await place(next, { tradingsymbol: 'IDEA', quantity: '1' });
      assert.match(id, /^111250207\d{7}$/);
    } finally {
      await next.sim.close();
    }
    const stored = JSON.parse(store.text!) as Row;
    assert.equal(stored.day, '2025-02-07');
  });
});

describe('simulator persistence: Redis store', () => {
  let redis: Redis;
  const prefix = uniquePrefix('sim-state');
  before(() => {
    redis = connectRedis();
  });
  after(async () => {
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('reads null when nothing is saved and keeps a save without expiry', async () => {
    const store = redisSimulatorStore(redis, `${prefix}:empty`);
    assert.equal(await store.load(), null);
    await store.save('{"x":1}');
    assert.equal(await store.load(), '{"x":1}');
    assert.equal(await redis.ttl(`${prefix}:empty`), -1);
  });

  it('carries the account across a restart', async () => {
    const clock = { t: ist(2025, 2, 6, 11, 0) };
    const key = `${prefix}:paper`;
    const first = await open(clock, { store: redisSimulatorStore(redis, key) });
    first.sim.setPrice('NSE:INFY', 1500);
    const id = await place(first, {
      tradingsymbol: 'INFY',
      quantity: '4',
      order_type: 'LIMIT',
      price: '1490',
    });
    const cash = (await funds(first)).AVAILABLE_BALANCE;
    await first.sim.close();

    const second = await open(clock, {
      store: redisSimulatorStore(redis, key),
    });
    try {
      assert.equal((await funds(second)).AVAILABLE_BALANCE, cash);
      const rows = await call(second, 'GET', 'orders');
      assert.equal(rows.find((r) => r.order_id === id)?.status, 'Pending');
      second.sim.setPrice('NSE:INFY', 1480);
      assert.equal(second.sim.orders()[0]?.status, 'Traded');
    } finally {
      await second.sim.close();
    }
  });
});
