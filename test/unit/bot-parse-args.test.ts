import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from 'grammy/types';
import {
  commandTextOf,
  isAddressedTo,
  lowerCaseCommand,
} from '../../src/bot/command-text.ts';
import {
  parseOrderArgs,
  parseOrderId,
  parseSymbol,
  parseSymbols,
} from '../../src/bot/parse-args.ts';

function value<T>(
  parsed: { ok: true; value: T } | { ok: false; error: string },
): T {
  if (!parsed.ok) assert.fail(`expected a value, got: ${parsed.error}`);
  return parsed.value;
}

function error(parsed: { ok: boolean; error?: string }): string {
  assert.equal(parsed.ok, false);
  return parsed.error ?? '';
}

describe('parseSymbol', () => {
  it('upper-cases and defaults to NSE', () => {
    assert.deepEqual(value(parseSymbol('m&m')), {
      exchange: 'NSE',
      symbol: 'M&M',
    });
    assert.deepEqual(value(parseSymbol('bajaj-auto')), {
      exchange: 'NSE',
      symbol: 'BAJAJ-AUTO',
    });
    assert.deepEqual(value(parseSymbol('bse:infy')), {
      exchange: 'BSE',
      symbol: 'INFY',
    });
    assert.deepEqual(value(parseSymbol('NSE:M&MFIN')), {
      exchange: 'NSE',
      symbol: 'M&MFIN',
    });
  });

  it('refuses other characters and exchanges with a hint', () => {
    assert.match(error(parseSymbol('INFY;DROP')), /not a symbol.*e\.g\. INFY/);
    assert.match(error(parseSymbol('<b>')), /not a symbol/);
    assert.match(error(parseSymbol('-')), /not a symbol/);
    assert.match(error(parseSymbol('NFO:NIFTY')), /only NSE: and BSE:/);
    assert.match(error(parseSymbol('A'.repeat(41))), /not a symbol/);
  });
});

describe('parseSymbols', () => {
  it('takes up to ten, asking each once', () => {
    const list = value(parseSymbols('  infy  INFY nse:infy tcs '));
    assert.deepEqual(list, [
      { exchange: 'NSE', symbol: 'INFY' },
      { exchange: 'NSE', symbol: 'TCS' },
    ]);
    assert.match(error(parseSymbols('')), /at least one symbol/);
    const eleven = Array.from({ length: 11 }, (_, i) => `S${i}`).join(' ');
    assert.match(error(parseSymbols(eleven)), /At most 10/);
  });
});

describe('parseOrderArgs', () => {
  it('reads the fixture with extra spaces and lower-case product', () => {
    assert.deepEqual(
      value(parseOrderArgs('buy', '  NSE:INFY   5   1510.05   mis')),
      {
        instrument: { exchange: 'NSE', symbol: 'INFY' },
        quantity: 5,
        price: 1510.05,
        product: 'MIS',
      },
    );
  });

  it('defaults to a CNC market order', () => {
    assert.deepEqual(value(parseOrderArgs('sell', 'm&m 3')), {
      instrument: { exchange: 'NSE', symbol: 'M&M' },
      quantity: 3,
      price: undefined,
      product: 'CNC',
    });
  });

  it('tolerates "@ 1500", "@1500" and the product before the price', () => {
    for (const text of ['INFY 5 @ 1500', 'INFY 5 @1500', 'INFY 5 cnc 1500']) {
      const args = value(parseOrderArgs('buy', text));
      assert.equal(args.price, 1500, text);
      assert.equal(args.product, 'CNC', text);
    }
  });

  it('refuses bad quantities and prices with what to type', () => {
    assert.match(
      error(parseOrderArgs('buy', 'INFY')),
      /Usage: \/buy SYMBOL QTY/,
    );
    assert.match(error(parseOrderArgs('buy', 'INFY 0')), /whole number from 1/);
    assert.match(error(parseOrderArgs('buy', 'INFY 2.5')), /whole number/);
    assert.match(error(parseOrderArgs('buy', 'INFY -3')), /whole number/);
    assert.match(error(parseOrderArgs('buy', 'INFY 100001')), /to 100000/);
    assert.match(error(parseOrderArgs('buy', 'INFY 5 0')), /above 0/);
    assert.match(
      error(parseOrderArgs('buy', 'INFY 5 1500.123')),
      /at most 2 decimals/,
    );
    assert.match(error(parseOrderArgs('buy', 'INFY 5 1.2.3')), /Price/);
    assert.match(
      error(parseOrderArgs('buy', 'INFY 5 1500 NRML')),
      /Did not understand "NRML"/,
    );
    assert.match(
      error(parseOrderArgs('buy', 'INFY 5 1500 1600')),
      /Did not understand "1600"/,
    );
  });
});

describe('parseOrderId', () => {
  it('takes one broker order id', () => {
    assert.equal(value(parseOrderId(' 1161231234567 ')), '1161231234567');
    assert.match(error(parseOrderId('')), /Usage: \/cancel ORDER_ID/);
    assert.match(error(parseOrderId('1 2')), /Usage/);
  });

  it('hints that ids are digits when given letters', () => {
    for (const typo of ['ORD-12', 'a:b', '116123l234567', 'INFY']) {
      assert.match(
        error(parseOrderId(typo)),
        /is not an order id: ids are digits only/,
        typo,
      );
    }
  });
});

describe('command text', () => {
  const message = (text: string, length: number) =>
    ({
      text,
      entities: [{ type: 'bot_command', offset: 0, length }],
    }) as Message;

  it('reads the name and the @target, in lower case', () => {
    assert.deepEqual(commandTextOf(message('/Ltp@Our_Trader_Bot INFY', 19)), {
      name: 'ltp',
      target: 'our_trader_bot',
    });
    assert.deepEqual(commandTextOf(message('/panic\n', 6)), {
      name: 'panic',
      target: undefined,
    });
    assert.equal(commandTextOf({ text: 'hi /panic' }), undefined);
  });

  it('tells which bot a command is for', () => {
    const other = commandTextOf(message('/panic@some_other_bot', 21))!;
    assert.equal(isAddressedTo(other, 'our_trader_bot'), false);
    const ours = commandTextOf(message('/panic@OUR_TRADER_BOT', 21))!;
    assert.equal(isAddressedTo(ours, 'our_trader_bot'), true);
  });

  it('lower-cases only the command name, keeping the length', () => {
    const m = message('/PANIC@Our_Trader_Bot NOW', 21);
    lowerCaseCommand(m);
    assert.equal(m.text, '/panic@Our_Trader_Bot NOW');
  });
});
