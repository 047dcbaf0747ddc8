import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { backoffDelay } from '../../src/mstock/backoff.ts';
import {
  classifyReply,
  cleanBrokerText,
  parseRetryAfter,
  type EndpointKind,
} from '../../src/mstock/classify-reply.ts';
import type { BrokerErrorKind } from '../../src/mstock/errors.ts';
import { htmlPage } from '../support/fake-broker.ts';

const SECRETS = ['ay3K/He+Kf@EJgo@@', 'p&ss w0rd=1'];
const NOW = Date.UTC(2025, 1, 6, 4, 0, 0);

function errorBody(name: string): string {
  return readFileSync(`test/fixtures/mstock-type-a/${name}`, 'utf8');
}

function classify(
  status: number,
  body: string,
  kind: EndpointKind = 'read',
  retryAfter: string | null = null,
) {
  return classifyReply(
    { status, body, retryAfter },
    { endpoint: 'GET orders', kind, secrets: SECRETS, now: NOW },
  );
}

function kindOf(
  status: number,
  body: string,
  kind: EndpointKind = 'read',
): BrokerErrorKind | 'ok' {
  const result = classify(status, body, kind);
  return result.ok ? 'ok' : result.error.kind;
}

describe('classifyReply', () => {
  it('passes a success envelope through, array-wrapped too', () => {
    const result = classify(
      200,
      '[{"status":"success","data":{"order_id":"1"}}]',
    );
    assert.deepEqual(result, { ok: true, data: { order_id: '1' } });
  });

  const table: [string, number, string, EndpointKind, BrokerErrorKind][] = [
    [
      'TokenException under 401',
      401,
      errorBody('error.token-expired.json'),
      'read',
      'token',
    ],
    [
      'TokenException under 200',
      200,
      errorBody('error.token-expired.json'),
      'read',
      'token',
    ],
    [
      'TokenException under 403',
      403,
      errorBody('error.token-expired.json'),
      'order',
      'token',
    ],
    ['bare 401 with HTML', 401, '<html>401</html>', 'read', 'token'],
    [
      '401 with an untyped envelope',
      401,
      '{"status":"error","message":"x"}',
      'read',
      'token',
    ],
    ['API key refused', 403, errorBody('error.api-key.json'), 'read', 'auth'],
    [
      'bad login (HTTP 500)',
      500,
      errorBody('error.bad-login.json'),
      'auth',
      'auth',
    ],
    [
      'wrong TOTP (HTTP 400)',
      400,
      errorBody('error.totp-wrong.json'),
      'auth',
      'auth',
    ],
    [
      'wrong TOTP under 200',
      200,
      '{"status":"error","message":"Invalid TOTP"}',
      'auth',
      'auth',
    ],
    [
      'IP mismatch',
      200,
      '{"status":"error","message":"Primary and Secondary IP Address are not matching with current IP address.","error_type":"APIKeyException"}',
      'order',
      'auth',
    ],
    [
      'market closed on an order',
      200,
      errorBody('error.input-market-closed.json'),
      'order',
      'input',
    ],
    [
      'order missing on cancel',
      200,
      errorBody('error.input-order-missing.json'),
      'order',
      'rejected',
    ],
    [
      'Mirae refusal on an order',
      200,
      errorBody('error.mirae-generic.json'),
      'order',
      'rejected',
    ],
    // An order endpoint failing server-side may have acted: never final.
    [
      'Mirae error on an order (500)',
      500,
      errorBody('error.mirae-generic.json'),
      'order',
      'unavailable',
    ],
    [
      '"does not exist" on an order under 503',
      503,
      errorBody('error.input-order-missing.json'),
      'order',
      'unavailable',
    ],
    [
      'TokenException on an order under 500',
      500,
      errorBody('error.token-expired.json'),
      'order',
      'unavailable',
    ],
    [
      'GeneralException on an order under 200',
      200,
      '{"status":"error","message":"x","error_type":"GeneralException"}',
      'order',
      'unavailable',
    ],
    [
      'Mirae error on a read (500)',
      500,
      errorBody('error.mirae-generic.json'),
      'read',
      'unavailable',
    ],
    [
      'input error on a read',
      400,
      '{"status":"error","message":"bad symbol","error_type":"InputException"}',
      'read',
      'input',
    ],
    [
      'version refused',
      400,
      errorBody('error.version.json'),
      'read',
      'protocol',
    ],
    ['HTML 502 (FR-04)', 502, htmlPage(), 'read', 'unavailable'],
    ['HTML 502 on login (FR-04)', 502, htmlPage(), 'auth', 'unavailable'],
    ['HTML under 200', 200, htmlPage(), 'read', 'unavailable'],
    ['empty 200 (FR-07)', 200, '', 'order', 'unavailable'],
    ['empty 503', 503, '', 'read', 'unavailable'],
    ['429', 429, '', 'read', 'rate-limited'],
    [
      'too many requests under 200',
      200,
      '{"status":"error","message":"Too many requests"}',
      'read',
      'rate-limited',
    ],
    [
      'GeneralException',
      500,
      '{"status":"error","message":"x","error_type":"GeneralException"}',
      'read',
      'unavailable',
    ],
    [
      'JSON that is not an envelope (2xx)',
      200,
      '{"foo":1}',
      'read',
      'protocol',
    ],
    [
      'ASP.NET version error',
      400,
      '{"Error":{"Code":"ApiVersionUnspecified"}}',
      'read',
      'protocol',
    ],
    [
      'JSON that is not an envelope (5xx)',
      502,
      '{"foo":1}',
      'read',
      'unavailable',
    ],
    ['404 page', 404, '<html>Not Found</html>', 'read', 'protocol'],
  ];
  for (const [name, status, body, kind, expected] of table) {
    it(name, () => {
      assert.equal(kindOf(status, body, kind), expected);
    });
  }

  it('keeps HTML out of the message and says it in one sentence', () => {
    const result = classify(502, htmlPage());
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.doesNotMatch(result.error.message, /[<>]|script/i);
    assert.ok(result.error.message.length < 200);
    assert.equal(result.error.status, 502);
    assert.equal(result.error.endpoint, 'GET orders');
  });

  it('quotes the broker message with the secrets masked', () => {
    const body = JSON.stringify({
      status: 'error',
      message: `key ${SECRETS[0]} is <b>suspended</b>`,
      error_type: 'APIKeyException',
    });
    const result = classify(403, body);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.ok(!result.error.message.includes(SECRETS[0]!));
    assert.equal(result.error.brokerMessage, 'key [redacted] is suspended');
    assert.equal(result.error.brokerType, 'APIKeyException');
  });

  it('ends a quoted broker sentence with one full stop, not two', () => {
    const cases: [string, EndpointKind, string][] = [
      [
        'System is not connected to NSE Equity exchange.',
        'order',
        'mStock refused the order: System is not connected to NSE Equity exchange.',
      ],
      [
        'Invalid quantity !! ',
        'order',
        'mStock refused the order: Invalid quantity.',
      ],
      [
        'Segment not allowed;',
        'read',
        'mStock refused the request: Segment not allowed.',
      ],
      [' . ', 'read', 'mStock refused the request: no reason given.'],
    ];
    for (const [message, kind, expected] of cases) {
      const body = JSON.stringify({
        status: 'error',
        message,
        error_type: 'InputException',
      });
      const result = classify(200, body, kind);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.error.message, expected);
    }
    // The broker's own text is kept as sent, for the log.
    const result = classify(
      200,
      JSON.stringify({
        status: 'error',
        message: 'Order is already cancelled.',
        error_type: 'InputException',
      }),
      'order',
    );
    assert.equal(
      result.ok ? null : result.error.brokerMessage,
      'Order is already cancelled.',
    );
  });

  it('masks the URL- and form-encoded spellings of a secret too', () => {
    // What a broker echoing our request body or URL back would quote.
    const echoes = [
      'ay3K%2FHe%2BKf%40EJgo%40%40', // encodeURIComponent
      'ay3K%2fHe%2bKf%40EJgo%40%40', // the same, lower-case hex
      'p%26ss+w0rd%3D1', // form encoding: space as '+'
      'p%26ss%20w0rd%3D1', // encodeURIComponent
      'p%26ss+w0rd%3d1',
    ];
    const body = JSON.stringify({
      status: 'error',
      message: `bad form api_key=${echoes[0]}&k=${echoes[1]}&password=${echoes[2]}&p=${echoes[3]}&q=${echoes[4]}`,
      error_type: 'InputException',
    });
    const result = classify(400, body);
    assert.equal(result.ok, false);
    if (result.ok) return;
    for (const text of [result.error.message, result.error.brokerMessage]) {
      for (const echo of echoes) {
        assert.ok(!(text ?? '').includes(echo), `${echo} in ${text}`);
      }
    }
    assert.equal(
      result.error.brokerMessage,
      'bad form api_key=[redacted]&k=[redacted]&password=[redacted]&p=[redacted]&q=[redacted]',
    );
  });

  it('masks a secret before markup and spaces are cleaned away', () => {
    const text = cleanBrokerText('<p>pass: x<y  z! end</p>', ['x<y  z!']);
    assert.equal(text, 'pass: [redacted] end');
  });

  it('honours Retry-After in seconds and as a date', () => {
    const result = classify(429, '', 'read', '3');
    assert.equal(result.ok ? 0 : result.error.retryAfterMs, 3000);
    assert.equal(
      parseRetryAfter(new Date(NOW + 5000).toUTCString(), NOW),
      5000,
    );
    assert.equal(parseRetryAfter('soon', NOW), undefined);
  });
});

describe('cleanBrokerText', () => {
  it('drops scripts and tags and caps the length', () => {
    const text = cleanBrokerText(htmlPage(), []);
    assert.doesNotMatch(text, /[<>]|challenge/);
    assert.ok(text.length <= 160);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially with jitter, up to the cap', () => {
    const low = { random: () => 0 };
    const high = { random: () => 1 };
    assert.equal(backoffDelay(0, undefined, low), 125);
    assert.equal(backoffDelay(0, undefined, high), 250);
    assert.equal(backoffDelay(2, undefined, high), 1000);
    assert.equal(backoffDelay(10, undefined, high), 4000);
    assert.equal(backoffDelay(10, undefined, low), 2000);
  });

  it('waits at least Retry-After, and gives up on a long one', () => {
    assert.equal(backoffDelay(0, 3000, { random: () => 1 }), 3000);
    assert.equal(backoffDelay(0, 60_000), undefined);
  });
});
