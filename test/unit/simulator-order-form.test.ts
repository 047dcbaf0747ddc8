import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseModifyForm,
  parsePlaceForm,
} from '../../src/simulator/order-form.ts';

const VALID = {
  tradingsymbol: 'INFY',
  exchange: 'NSE',
  transaction_type: 'BUY',
  order_type: 'LIMIT',
  quantity: '10',
  product: 'MIS',
  validity: 'DAY',
  price: '1250',
  trigger_price: '0',
  tag: 'tg_1-abc',
};

function place(overrides: Record<string, string | undefined>) {
  const form: Record<string, string | undefined> = { ...VALID, ...overrides };
  return parsePlaceForm((name) => form[name]);
}

function errorOf(overrides: Record<string, string | undefined>): string {
  const result = place(overrides);
  assert.equal(result.ok, false, JSON.stringify(overrides));
  return result.ok ? '' : result.error;
}

describe('simulator order form', () => {
  it('reads a complete limit order', () => {
    const result = place({});
    assert.ok(result.ok);
    assert.deepEqual(result.value, {
      exchange: 'NSE',
      tradingsymbol: 'INFY',
      side: 'BUY',
      orderType: 'LIMIT',
      quantity: 10,
      product: 'MIS',
      validity: 'DAY',
      price: 1250,
      triggerPrice: 0,
      disclosedQuantity: 0,
      tag: 'tg_1-abc',
    });
  });

  it('defaults validity to DAY and treats an empty tag as none', () => {
    const result = place({ validity: undefined, tag: '' });
    assert.ok(result.ok);
    assert.equal(result.value.validity, 'DAY');
    assert.equal(result.value.tag, null);
  });

  it('keeps symbols with & and -', () => {
    for (const symbol of ['M&M', 'BAJAJ-AUTO', 'm&mfin']) {
      const result = place({ tradingsymbol: symbol });
      assert.ok(result.ok);
      assert.equal(result.value.tradingsymbol, symbol.toUpperCase());
    }
  });

  it('names each missing required field', () => {
    for (const name of [
      'tradingsymbol',
      'exchange',
      'transaction_type',
      'order_type',
      'quantity',
      'product',
    ]) {
      assert.match(
        errorOf({ [name]: undefined }),
        new RegExp(`${name} is required`),
      );
      assert.match(
        errorOf({ [name]: '  ' }),
        new RegExp(`${name} is required`),
      );
    }
  });

  it('lists the allowed values of a bad enumeration', () => {
    assert.match(errorOf({ exchange: 'NYSE' }), /exchange.*NSE, BSE/);
    assert.match(errorOf({ transaction_type: 'buy' }), /BUY, SELL/);
    assert.match(
      errorOf({ order_type: 'STOP_LOSS' }),
      /MARKET, LIMIT, SL, SL-M/,
    );
    assert.match(errorOf({ product: 'INTRADAY' }), /CNC, MIS, NRML, MTF/);
    assert.match(errorOf({ validity: 'GTC' }), /DAY, IOC/);
  });

  it('refuses quantities that are not whole, positive and under the freeze limit', () => {
    for (const quantity of [
      '0',
      '-1',
      '1.5',
      'ten',
      '1e3',
      '100001',
      '9'.repeat(12),
    ]) {
      assert.match(errorOf({ quantity }), /quantity/, quantity);
    }
  });

  it('refuses prices with separators or junk', () => {
    for (const price of [
      '1,250',
      '12 50',
      '-5',
      'NaN',
      '1250.123456',
      '0x10',
    ]) {
      assert.match(errorOf({ price }), /price must be a price/, price);
    }
  });

  it('applies the price rules of each order type', () => {
    assert.match(errorOf({ price: '0' }), /price is required for LIMIT/);
    assert.match(
      errorOf({ order_type: 'MARKET', price: '1250' }),
      /price must be 0 for MARKET/,
    );
    assert.ok(place({ order_type: 'MARKET', price: '0' }).ok);
    assert.ok(place({ order_type: 'MARKET', price: undefined }).ok);
    assert.match(
      errorOf({ order_type: 'SL-M', price: '0', trigger_price: '0' }),
      /trigger_price is required for SL-M/,
    );
    assert.match(
      errorOf({ order_type: 'LIMIT', trigger_price: '1200' }),
      /trigger_price must be 0 for LIMIT/,
    );
    assert.match(
      errorOf({ order_type: 'SL', price: '1240', trigger_price: '1245' }),
      /BUY SL order the price cannot be below/,
    );
    assert.match(
      errorOf({
        order_type: 'SL',
        transaction_type: 'SELL',
        price: '1250',
        trigger_price: '1245',
      }),
      /SELL SL order the price cannot be above/,
    );
    assert.ok(
      place({ order_type: 'SL', price: '1250', trigger_price: '1245' }).ok,
    );
  });

  it('checks disclosed quantity, tag and symbol length', () => {
    assert.match(
      errorOf({ disclosed_quantity: '11' }),
      /disclosed_quantity cannot be more/,
    );
    assert.ok(place({ disclosed_quantity: '0' }).ok);
    assert.match(errorOf({ tag: 'has space' }), /tag must be/);
    assert.match(errorOf({ tag: 'x'.repeat(21) }), /tag must be/);
    assert.match(errorOf({ tradingsymbol: 'A'.repeat(51) }), /too long/);
  });

  it('clips echoed values so a huge field cannot bloat the reply', () => {
    const error = errorOf({ exchange: 'X'.repeat(10_000) });
    assert.ok(error.length < 200, `message is ${error.length} characters`);
  });

  it('reads only the fields a modify sends', () => {
    const form: Record<string, string> = { price: '1300.5', quantity: '' };
    const result = parseModifyForm((name) => form[name]);
    assert.ok(result.ok);
    assert.deepEqual(result.value, { price: 1300.5 });
    const bad = parseModifyForm((name) => ({ quantity: '-3' })[name]);
    assert.equal(bad.ok, false);
  });
});
