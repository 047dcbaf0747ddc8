import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/logger.ts';
import {
  logConnectionErrors,
  MAX_RECONNECT_DELAY_MS,
  reconnectDelayMs,
} from '../../src/queue/redis.ts';

describe('reconnectDelayMs', () => {
  it('backs off exponentially up to a cap', () => {
    assert.equal(reconnectDelayMs(1), 100);
    assert.equal(reconnectDelayMs(2), 200);
    assert.equal(reconnectDelayMs(4), 800);
    assert.equal(reconnectDelayMs(50), MAX_RECONNECT_DELAY_MS);
  });
});

describe('logConnectionErrors', () => {
  it('logs one error line per interval and counts the rest', () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('info', {
      write: (line: string) =>
        void lines.push(JSON.parse(line) as Record<string, unknown>),
    });
    let now = 0;
    const conn = new EventEmitter();
    logConnectionErrors(conn, {
      logger,
      name: 'test',
      errorLogIntervalMs: 10_000,
      now: () => now,
    });

    for (let i = 0; i < 50; i += 1) {
      conn.emit('error', new Error('connect ECONNREFUSED 127.0.0.1:1'));
      now += 100; // one reconnect attempt every 100 ms for 5 s
    }
    assert.equal(lines.length, 1);

    now += 10_000;
    conn.emit('error', new Error('connect ECONNREFUSED 127.0.0.1:1'));
    assert.equal(lines.length, 2);
    assert.equal(lines[1]?.suppressed, 49);

    conn.emit('ready');
    assert.equal(lines.length, 3);
    assert.equal(lines[2]?.msg, 'redis connection restored');
    conn.emit('ready');
    assert.equal(lines.length, 3, 'a ready without a failure says nothing');
  });
});
