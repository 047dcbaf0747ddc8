import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/logger.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger('debug', stream) };
}

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';

describe('logger', () => {
  it('keeps a bot token out of a logged network error', () => {
    const { lines, logger } = capture();
    const inner = new Error(
      `request to https://api.telegram.org/bot${TOKEN}/getUpdates failed`,
    );
    const err = new Error('Network request failed', { cause: inner });
    logger.warn({ err }, 'telegram polling failed');
    const text = lines.join('');
    assert.doesNotMatch(text, /AAHdqTcvCH1v/);
    assert.match(text, /bot\[redacted\]/);
  });

  it('redacts secret fields at the top level and nested', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        password: 'hunter2',
        request: { headers: { authorization: 'token k:t' } },
        session: { accessToken: 'eyJhbGciOi' },
      },
      'event',
    );
    const text = lines.join('');
    assert.doesNotMatch(text, /hunter2|token k:t|eyJhbGciOi/);
  });
});
