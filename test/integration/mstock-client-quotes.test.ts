import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterEach, describe, it } from 'node:test';
import type { InstrumentRef } from '../../src/mstock/types.ts';
import {
  ok,
  startClientRig,
  type ClientRig,
  type JournalEntry,
} from '../support/fake-broker.ts';

/** Answers each requested `i` from a price table; unknown → null. */
function quoteHandler(prices: Record<string, number>) {
  return (req: JournalEntry) => {
    const data: Record<string, unknown> = {};
    for (const [name, key] of req.query) {
      if (name !== 'i') continue;
      const price = prices[key];
      data[key] =
        price === undefined
          ? null
          : {
              instrument_token: 1,
              last_price: price,
              ohlc: {
                open: price - 10,
                high: price + 5,
                low: price - 20,
                close: price - 1,
              },
            };
    }
    return ok(data);
  };
}

const refs = (...keys: string[]): InstrumentRef[] =>
  keys.map((key) => {
    const [exchange, symbol] = key.split(':') as [
      InstrumentRef['exchange'],
      string,
    ];
    return { exchange, symbol };
  });

describe('mStock client: quotes', () => {
  let rig: ClientRig;

  afterEach(async () => {
    assert.deepEqual(rig.leakedSecrets(), [], 'no secret in any log line');
    await rig.close();
  });

  it('sends one i per symbol, M&M escaped (FR-12)', async () => {
    rig = await startClientRig();
    rig.broker.handle(
      'GET instruments/quote/ohlc',
      quoteHandler({
        'NSE:M&M': 3012.4,
        'NSE:M&MFIN': 280.5,
        'NSE:BAJAJ-AUTO': 9100,
      }),
    );
    const quotes = await rig.client.quotes(
      refs('NSE:M&M', 'NSE:M&MFIN', 'NSE:BAJAJ-AUTO', 'NSE:NAM-INDIA'),
    );
    const calls = rig.broker.calls('GET instruments/quote/ohlc');
    assert.equal(calls.length, 1, 'several symbols in one call');
    assert.equal(
      calls[0]?.rawQuery,
      'i=NSE%3AM%26M&i=NSE%3AM%26MFIN&i=NSE%3ABAJAJ-AUTO&i=NSE%3ANAM-INDIA',
    );
    assert.deepEqual(calls[0]?.query, [
      ['i', 'NSE:M&M'],
      ['i', 'NSE:M&MFIN'],
      ['i', 'NSE:BAJAJ-AUTO'],
      ['i', 'NSE:NAM-INDIA'],
    ]);
    assert.deepEqual(
      quotes.map((q) => [q.symbol, q.found, q.lastPrice]),
      [
        ['M&M', true, 3012.4],
        ['M&MFIN', true, 280.5],
        ['BAJAJ-AUTO', true, 9100],
        ['NAM-INDIA', false, null],
      ],
    );
    assert.deepEqual(quotes[0], {
      exchange: 'NSE',
      symbol: 'M&M',
      found: true,
      lastPrice: 3012.4,
      open: 3002.4,
      high: 3017.4,
      low: 2992.4,
      close: 3011.4,
    });
  });

  it('keeps request order and repeats, asking each instrument once', async () => {
    rig = await startClientRig();
    rig.broker.handle(
      'GET instruments/quote/ohlc',
      quoteHandler({ 'NSE:INFY': 1500, 'BSE:INFY': 1501 }),
    );
    const quotes = await rig.client.quotes(
      refs('BSE:INFY', 'NSE:INFY', 'BSE:INFY'),
    );
    assert.deepEqual(
      quotes.map((q) => q.lastPrice),
      [1501, 1500, 1501],
    );
    assert.equal(
      rig.broker.calls('GET instruments/quote/ohlc')[0]?.query.length,
      2,
    );
  });

  it('divides by 100 when the broker quotes paise', async () => {
    rig = await startClientRig({ client: { quotePriceUnit: 'paise' } });
    rig.broker.handle(
      'GET instruments/quote/ohlc',
      quoteHandler({ 'NSE:ACC': 195700 }),
    );
    const [acc] = await rig.client.quotes(refs('NSE:ACC'));
    assert.equal(acc?.lastPrice, 1957);
    assert.equal(acc?.close, 1956.99);
  });

  it('reads prices sent as strings with separators (FR-06)', async () => {
    rig = await startClientRig();
    rig.broker.handle(
      'GET instruments/quote/ohlc',
      ok({ 'NSE:RELIANCE': { last_price: '2,945.50', ohlc: null } }),
    );
    const [q] = await rig.client.quotes(refs('NSE:RELIANCE'));
    assert.equal(q?.lastPrice, 2945.5);
    assert.equal(q?.open, null);
  });

  it('asks nothing for an empty list', async () => {
    rig = await startClientRig();
    assert.deepEqual(await rig.client.quotes([]), []);
    assert.equal(rig.broker.journal.length, 0);
  });

  it('ltp: GET instruments/quote/ltp, one i each, last price only', async () => {
    rig = await startClientRig({ client: { quotePriceUnit: 'paise' } });
    const body = JSON.parse(
      readFileSync(
        'test/fixtures/mstock-type-a/quote-ltp.doc-paise.json',
        'utf8',
      ),
    ) as unknown;
    rig.broker.handle('GET instruments/quote/ltp', { body });
    const quotes = await rig.client.ltp(
      refs('NSE:ACC', 'BSE:ACC', 'NFO:CDSL25JAN2220CE'),
    );
    const calls = rig.broker.calls('GET instruments/quote/ltp');
    assert.equal(calls.length, 1);
    assert.equal(
      calls[0]?.rawQuery,
      'i=NSE%3AACC&i=BSE%3AACC&i=NFO%3ACDSL25JAN2220CE',
    );
    assert.deepEqual(
      quotes.map((q) => [q.found, q.lastPrice, q.open, q.close]),
      [
        [true, 1957, null, null],
        [true, 1957, null, null],
        [false, null, null, null],
      ],
    );
    assert.equal(rig.broker.calls('GET instruments/quote/ohlc').length, 0);
  });

  it('ltp of nothing sends nothing', async () => {
    rig = await startClientRig();
    assert.deepEqual(await rig.client.ltp([]), []);
    assert.equal(rig.broker.journal.length, 0);
  });
});
