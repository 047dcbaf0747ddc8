import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { BrokerError } from '../../src/mstock/errors.ts';
import { totpStep } from '../../src/mstock/totp.ts';
import {
  ERRORS,
  ok,
  startClientRig,
  testCredentials,
  type ClientRig,
} from '../support/fake-broker.ts';

const ORDERS: unknown[] = [];
const creds = testCredentials();

function routes(rig: ClientRig): string[] {
  return rig.broker.journal.map((e) => `${e.method} ${e.path}`);
}

function logins(rig: ClientRig): number {
  return rig.broker.calls('POST session/verifytotp').length;
}

describe('mStock client: login and session', () => {
  let rig: ClientRig;

  afterEach(async () => {
    assert.deepEqual(rig.leakedSecrets(), [], 'no secret in any log line');
    await rig.close();
  });

  it('logs in with password and TOTP, then reads with the token', async () => {
    rig = await startClientRig();
    rig.broker.handle('GET orders', ok(ORDERS));
    assert.deepEqual(await rig.client.orders(), []);

    assert.deepEqual(routes(rig), [
      'POST connect/login',
      'POST session/verifytotp',
      'GET orders',
    ]);
    for (const entry of rig.broker.journal) {
      assert.equal(entry.headers['x-mirae-version'], '1');
    }
    const [login, verify, read] = rig.broker.journal;
    assert.equal(login?.headers.authorization, undefined);
    assert.equal(
      login?.headers['content-type'],
      'application/x-www-form-urlencoded',
    );
    assert.deepEqual(login?.form, {
      username: creds.username,
      password: creds.password,
    });
    // `/`, `+` and `@` of the api key survive the form encoding.
    assert.equal(verify?.form.api_key, creds.apiKey);
    assert.match(verify?.rawBody ?? '', /api_key=ay3K%2FHe%2BKf%40EJgo%40%40/);
    assert.equal(
      read?.headers.authorization,
      `token ${creds.apiKey}:${rig.broker.issuedTokens[0]}`,
    );

    const info = rig.client.session();
    assert.equal(info.loggedIn, true);
    assert.equal(info.online, true);
    // 09:30 IST login: 12 h later comes before midnight.
    assert.equal(info.expiresAt, rig.clock.now() + 12 * 3600_000);
    assert.equal(rig.statuses.length, 1);
    assert.equal(rig.statuses[0]?.loggedIn, true);
  });

  it('completes the login with session/token when verifytotp has no token', async () => {
    rig = await startClientRig({ broker: { verifyTotpReturnsToken: false } });
    rig.broker.handle('GET orders', ok(ORDERS));
    await rig.client.orders();
    assert.deepEqual(routes(rig), [
      'POST connect/login',
      'POST session/verifytotp',
      'POST session/token',
      'GET orders',
    ]);
    const token = rig.broker.calls('POST session/token')[0];
    assert.equal(token?.form.checksum, 'L');
    assert.equal(
      token?.form.request_token,
      rig.broker.calls('POST session/verifytotp')[0]?.form.totp,
    );
  });

  it('relogs in once on a 401 and replays the read once (FR-03)', async () => {
    rig = await startClientRig();
    rig.broker.handle('GET orders', ok(ORDERS));
    await rig.client.orders();
    const firstStep = totpStep(rig.clock.now());
    rig.clock.advance(5_000);
    rig.broker.expireTokens();

    await rig.client.orders();
    assert.deepEqual(routes(rig).slice(3), [
      'GET orders',
      'POST connect/login',
      'POST session/verifytotp',
      'GET orders',
    ]);
    // FR-02: the second login waited for a fresh step; the broker, which
    // refuses a reused step, accepted it.
    assert.equal(totpStep(rig.clock.now()), firstStep + 1);
    assert.equal(rig.broker.issuedTokens.length, 2);
  });

  it('treats TokenException under HTTP 200 as an expired token', async () => {
    rig = await startClientRig();
    rig.broker.handle('GET orders', ok(ORDERS));
    rig.broker.script('GET orders', { status: 200, body: ERRORS.token });
    assert.deepEqual(await rig.client.orders(), []);
    assert.equal(logins(rig), 2);
    assert.equal(rig.broker.calls('GET orders').length, 2);
  });

  it('stops after one relogin when the broker keeps refusing', async () => {
    rig = await startClientRig();
    rig.broker.script(
      'GET orders',
      { status: 401, body: ERRORS.token },
      { status: 401, body: ERRORS.token },
      { status: 401, body: ERRORS.token },
    );
    await assert.rejects(
      rig.client.orders(),
      (err) => err instanceof BrokerError && err.kind === 'token',
    );
    assert.equal(logins(rig), 2);
    assert.equal(rig.broker.calls('GET orders').length, 2);
  });

  it('two concurrent reads after expiry cause one login', async () => {
    rig = await startClientRig();
    rig.broker.handle('GET orders', ok(ORDERS));
    rig.broker.handle('GET portfolio/holdings', ok('None'));
    await rig.client.orders();
    rig.broker.expireTokens();
    rig.clock.advance(40_000);

    const [orders, holdings] = await Promise.all([
      rig.client.orders(),
      rig.client.holdings(),
    ]);
    assert.deepEqual(orders, []);
    assert.deepEqual(holdings, []);
    assert.equal(logins(rig), 2);
  });

  it('two worker processes share one session through Redis', async () => {
    rig = await startClientRig();
    rig.broker.handle('GET orders', ok(ORDERS));
    const other = rig.twin();
    await Promise.all([rig.client.orders(), other.orders()]);
    assert.equal(logins(rig), 1);
    const tokens = new Set(
      rig.broker.calls('GET orders').map((e) => e.headers.authorization),
    );
    assert.equal(tokens.size, 1);

    // One process sees the token die; the other adopts the new login.
    rig.broker.expireTokens();
    rig.clock.advance(40_000);
    await rig.client.orders();
    await other.orders();
    assert.equal(logins(rig), 2);
  });

  it('retries a refused TOTP once with the next code (FR-01)', async () => {
    rig = await startClientRig({
      // The broker's clock, and its Date header, run 40 s ahead.
      broker: { now: () => rig.clock.now() + 40_000 },
    });
    rig.broker.handle('GET orders', ok(ORDERS));
    rig.broker.script('POST session/verifytotp', {
      status: 200,
      body: { status: 'error', message: 'Invalid TOTP' },
    });
    await rig.client.orders();
    const codes = rig.broker
      .calls('POST session/verifytotp')
      .map((e) => e.form.totp);
    assert.equal(codes.length, 2);
    assert.notEqual(codes[0], codes[1]);
    const hint = rig.lines.find((l) => l.includes('mstock rejected the TOTP'));
    assert.ok(hint);
    assert.equal(
      (JSON.parse(hint) as { clock_skew_s: number }).clock_skew_s,
      -40,
    );
    for (const code of codes) {
      assert.ok(!rig.lines.some((l) => l.includes(`"${code}"`)));
    }
  });

  it('a wrong password is an auth error naming what to check', async () => {
    rig = await startClientRig();
    rig.broker.script('POST connect/login', {
      status: 500,
      body: ERRORS.login,
    });
    await assert.rejects(rig.client.funds(), (err) => {
      assert.ok(err instanceof BrokerError);
      assert.equal(err.kind, 'auth');
      assert.match(err.message, /Invalid username or password/);
      assert.match(err.message, /MSTOCK_PASSWORD/);
      assert.ok(!err.message.includes(creds.password));
      return true;
    });
    assert.equal(logins(rig), 0);
    assert.equal(rig.statuses.at(-1)?.loggedIn, false);
    assert.match(rig.statuses.at(-1)?.lastError ?? '', /refused the login/);
  });
});
