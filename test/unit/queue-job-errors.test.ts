import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import { createLogger } from '../../src/logger.ts';
import { BrokerError } from '../../src/mstock/errors.ts';
import { ChatSafeError, toJobError } from '../../src/queue/job-errors.ts';

function sink() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('debug', {
    write: (line: string) =>
      void lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { lines, logger };
}

const job = { id: 'j-1', name: 'funds' };

describe('toJobError', () => {
  it('keeps a broker message, final unless the broker may answer later', () => {
    const { logger } = sink();
    const final = toJobError(
      new BrokerError(
        'auth',
        'The broker refused the login; check the API key.',
      ),
      job,
      logger,
    );
    assert.ok(final instanceof UnrecoverableError);
    assert.equal(
      final.message,
      'The broker refused the login; check the API key.',
    );

    const later = toJobError(
      new BrokerError('unavailable', 'Broker down.'),
      job,
      logger,
    );
    assert.ok(!(later instanceof UnrecoverableError));
    assert.equal(later.message, 'Broker down.');
  });

  it('makes a final chat-safe refusal unrecoverable', () => {
    const { logger } = sink();
    const err = toJobError(new ChatSafeError('Halted.'), job, logger);
    assert.ok(err instanceof UnrecoverableError);
    assert.equal(err.message, 'Halted.');
  });

  it('names the bad field of bad job data', () => {
    const { logger } = sink();
    const parsed = z.object({ orderId: z.string() }).safeParse({ orderId: 5 });
    assert.ok(!parsed.success);
    const err = toJobError(
      parsed.error,
      { id: 'j-2', name: 'cancel-order' },
      logger,
    );
    assert.ok(err instanceof UnrecoverableError);
    assert.match(err.message, /cancel-order carries bad data \(orderId: /);
  });

  it('hides an internal error behind a pointer to the log, and logs it', () => {
    const { lines, logger } = sink();
    const err = toJobError(
      new TypeError('secret-ish detail: token=abc'),
      job,
      logger,
    );
    assert.equal(err.message, 'Internal error in job j-1; see the worker log.');
    assert.ok(!err.message.includes('abc'));
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.job_id, 'j-1');
  });
});
