import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { BrokerError } from '../../src/mstock/errors.ts';
import {
  htmlPage,
  ok,
  startClientRig,
  type ClientRig,
} from '../support/fake-broker.ts';

const FUNDS = [
  { AVAILABLE_BALANCE: '1,50,000.50', AMOUNT_UTILIZED: '0.0', LIMIT_SOD: null },
];
const html502 = { status: 502, raw: htmlPage() };

function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() > deadline) return reject(new Error('timed out'));
      setTimeout(tick, 10);
    };
    tick();
  });
}

function isKind(kind: string) {
  return (err: unknown) => err instanceof BrokerError && err.kind === kind;
}

describe('mStock client: outages and bad replies', () => {
  let rig: ClientRig;

  afterEach(async () => {
    assert.deepEqual(rig.leakedSecrets(), [], 'no secret in any log line');
    await rig.close();
  });

  it('retries an HTML 502 with backoff, then answers in a plain sentence (FR-04)', async () => {
    rig = await startClientRig({
      client: { readRetries: 2, offlineAfterFailures: 5 },
    });
    rig.broker.handle('GET user/fundsummary', html502);
    const sleptBefore = rig.clock.slept();
    await assert.rejects(rig.client.funds(), (err) => {
      assert.ok(err instanceof BrokerError);
      assert.equal(err.kind, 'unavailable');
      assert.equal(err.status, 502);
      assert.doesNotMatch(err.message, /<|script|Bad Gateway/i);
      assert.match(err.message, /^mStock is not answering properly/);
      return true;
    });
    assert.equal(rig.broker.calls('GET user/fundsummary').length, 3);
    // Two backoff pauses: 125-250 ms, then 250-500 ms.
    const slept = rig.clock.slept() - sleptBefore;
    assert.ok(slept >= 375 && slept <= 750, `slept ${slept} ms`);

    const logged = rig.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'mstock error reply');
    assert.equal(logged.length, 3);
    assert.equal(logged[0]?.status, 502);
    const start = String(logged[0]?.body_start);
    assert.ok(start.length > 0 && start.length <= 200);
    assert.doesNotMatch(start, /<script/);
  });

  it('a 502 on login is "unavailable", not a bad TOTP (FR-04)', async () => {
    rig = await startClientRig({ client: { readRetries: 0 } });
    rig.broker.script('POST session/verifytotp', html502);
    await assert.rejects(rig.client.funds(), isKind('unavailable'));
    // Only one code was sent: an outage is not answered with a retry
    // of the TOTP.
    assert.equal(rig.broker.calls('POST session/verifytotp').length, 1);
    assert.ok(!rig.lines.some((l) => l.includes('rejected the TOTP')));
  });

  it('goes offline, fails fast, and a probe brings it back', async () => {
    rig = await startClientRig({
      client: { readRetries: 1, offlineAfterFailures: 3 },
    });
    rig.broker.handle('GET user/fundsummary', ok(FUNDS));
    await rig.client.funds();
    rig.broker.script('GET user/fundsummary', html502, html502, html502);

    // Two failures: still online, the error is the outage itself.
    await assert.rejects(rig.client.funds(), isKind('unavailable'));
    assert.equal(rig.client.session().online, true);
    // The third failure trips it; the retry is cut short.
    await assert.rejects(rig.client.funds(), (err) => {
      assert.ok(err instanceof BrokerError);
      assert.equal(err.kind, 'offline');
      assert.equal(
        err.message,
        'mStock is not reachable; retrying in the background.',
      );
      return true;
    });
    assert.equal(rig.client.session().online, false);
    const sent = rig.broker.journal.length;

    // Offline: nothing leaves the process.
    rig.broker.script('GET user/fundsummary', html502);
    await assert.rejects(rig.client.orders(), isKind('offline'));
    assert.equal(rig.broker.journal.length, sent);

    // The probe (every 50 ms) meets one more 502, then the scripted
    // replies run out and it gets an answer.
    await until(() => rig.client.session().online);
    assert.equal(rig.broker.journal.length, sent + 2);
    assert.deepEqual(await rig.client.funds(), {
      availableCash: 150000.5,
      usedMargin: 0,
      openingLimit: null,
    });

    const online = rig.statuses.map((s) => s.online);
    assert.deepEqual(online, [true, false, true]);
    assert.equal(rig.statuses[1]?.loggedIn, true);
    assert.match(rig.statuses[1]?.lastError ?? '', /not answering properly/);
    assert.equal(rig.statuses[2]?.lastError, null);
  });

  it('network resets and timeouts count as outages too', async () => {
    rig = await startClientRig({
      client: { readRetries: 3, timeoutMs: 200, offlineAfterFailures: 10 },
    });
    rig.broker.handle('GET orders', ok([]));
    rig.broker.script(
      'GET orders',
      { action: 'reset' },
      { action: 'hang' },
      { action: 'empty' },
    );
    assert.deepEqual(await rig.client.orders(), []);
    assert.equal(rig.broker.calls('GET orders').length, 4);
    const kinds = rig.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'mstock retrying')
      .map((l) => l.attempt);
    assert.deepEqual(kinds, [2, 3, 4]);
  });

  it('honours Retry-After on a 429 and then succeeds', async () => {
    rig = await startClientRig();
    rig.broker.handle('GET portfolio/holdings', ok([]));
    rig.broker.script('GET portfolio/holdings', {
      status: 429,
      headers: { 'retry-after': '2' },
      raw: 'Too Many Requests',
    });
    const before = rig.clock.slept();
    assert.deepEqual(await rig.client.holdings(), []);
    assert.ok(rig.clock.slept() - before >= 2000);
    assert.equal(rig.broker.calls('GET portfolio/holdings').length, 2);
  });

  it('reads the order book row by row: a misfit row is skipped and counted', async () => {
    rig = await startClientRig();
    const good = {
      order_id: '1151240930103',
      tradingsymbol: 'INFY',
      exchange: 'NSE',
      transaction_type: 'BUY',
      status: 'Pending',
      quantity: 10,
      filled_quantity: 0,
    };
    const { order_id: _id, ...noId } = good;
    rig.broker.handle('GET orders', ok([noId, good]));
    const book = await rig.client.orders();
    assert.deepEqual(
      book.map((o) => o.orderId),
      ['1151240930103'],
    );
    assert.equal(book.unreadableRows, 1);
    assert.equal(rig.broker.calls('GET orders').length, 1);

    const warned = rig.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'mstock rows skipped');
    assert.deepEqual(
      warned.map((l) => [l.endpoint, l.unreadable_rows, l.first_row]),
      [['GET orders', 1, 0]],
    );
    assert.doesNotMatch(JSON.stringify(warned), /INFY/);

    rig.broker.handle('GET orders', ok([good]));
    assert.equal((await rig.client.orders()).unreadableRows, undefined);
  });

  it('does not retry a reply it cannot read', async () => {
    rig = await startClientRig();
    rig.broker.handle('GET orders', ok({ rows: [{ status: 'Pending' }] }));
    await assert.rejects(rig.client.orders(), (err) => {
      assert.ok(err instanceof BrokerError);
      assert.equal(err.kind, 'protocol');
      assert.match(err.message, /GET orders/);
      return true;
    });
    assert.equal(rig.broker.calls('GET orders').length, 1);
    assert.equal(rig.client.session().online, true);
  });

  it('logs no part of a secret a page quotes far into its markup', async () => {
    rig = await startClientRig({ client: { readRetries: 0 } });
    // 791 characters of markup that clean to nothing, then the api key and
    // password as an echoed form: a log that cleaned only a slice of the
    // body would cut the key after 'ay3K/He+K' and show that half.
    const page = `${'<i></i>'.repeat(113)}ay3K/He+Kf@EJgo@@ api_key=ay3K%2FHe%2BKf%40EJgo%40%40&password=p%26ss+w0rd%3D1`;
    rig.broker.handle('GET user/fundsummary', { status: 502, raw: page });
    await assert.rejects(rig.client.funds(), isKind('unavailable'));
    const logged = rig.lines.filter((l) => l.includes('mstock error reply'));
    assert.equal(logged.length, 1);
    for (const part of ['ay3K/He+K', 'ay3K%2F', 'p%26ss', 'w0rd']) {
      assert.ok(!logged[0]!.includes(part), `${part} logged`);
    }
    assert.match(logged[0]!, /\[redacted\] api_key=\[redacted\]/);
  });

  it('an input refusal on a read is final', async () => {
    rig = await startClientRig();
    rig.broker.handle('GET portfolio/positions', {
      status: 400,
      body: {
        status: 'error',
        message: 'Invalid segment',
        error_type: 'InputException',
        data: null,
      },
    });
    await assert.rejects(rig.client.positions(), isKind('input'));
    assert.equal(rig.broker.calls('GET portfolio/positions').length, 1);
  });

  it('after close() nothing is sent', async () => {
    rig = await startClientRig();
    await rig.client.close();
    await assert.rejects(rig.client.funds(), BrokerError);
    assert.equal(rig.broker.journal.length, 0);
  });
});
