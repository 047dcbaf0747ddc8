import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateSync } from 'otplib';
import {
  startSimulator,
  type Simulator,
  type SimulatorOptions,
} from '../../src/simulator/simulator.ts';
import { ist } from '../support/sim-session.ts';

/**
 * Authentication against the simulator over HTTP: version header, login,
 * TOTP (replay, wrong code, skew), the session/token path, token expiry
 * at IST midnight and after 12 hours, logout and forced expiry.
 */

/** The Type A envelope, read loosely; tests assert field by field. */
interface Envelope {
  status: string;
  message: string;
  error_type: string;
  /** `null` on errors; the auth replies hold strings where read here. */
  data: Record<string, string>;
}

interface CallOptions {
  form?: Record<string, string>;
  token?: string;
  headers?: Record<string, string>;
  body?: string;
  contentType?: string;
  version?: string | null;
}

async function call(
  sim: Simulator,
  method: string,
  route: string,
  options: CallOptions = {},
) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.version !== null) {
    headers['X-Mirae-Version'] = options.version ?? '1';
  }
  if (options.token !== undefined) {
    headers.Authorization = `token ${sim.credentials.apiKey}:${options.token}`;
  }
  let body: string | undefined = options.body;
  if (options.form !== undefined) {
    body = new URLSearchParams(options.form).toString();
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  } else if (options.contentType !== undefined) {
    headers['Content-Type'] = options.contentType;
  }
  const res = await fetch(`${sim.baseUrl}/${route}`, {
    method,
    headers,
    body,
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  const json = JSON.parse(text) as Envelope;
  return { status: res.status, headers: res.headers, json };
}

function totpAt(sim: Simulator, epochMs: number): string {
  return generateSync({
    secret: sim.credentials.totpSecret,
    epoch: Math.floor(epochMs / 1000),
  });
}

function assertError(
  reply: { status: number; json: Envelope },
  status: number,
  type: string,
  message?: string | RegExp,
) {
  assert.equal(reply.status, status, JSON.stringify(reply.json));
  assert.equal(reply.json.status, 'error');
  assert.equal(reply.json.error_type, type);
  assert.equal(reply.json.data, null);
  if (typeof message === 'string') assert.equal(reply.json.message, message);
  else if (message) assert.match(reply.json.message, message);
}

async function withSim(
  options: SimulatorOptions,
  start: number,
  body: (sim: Simulator, clock: { t: number }) => Promise<void>,
) {
  const clock = { t: start };
  const sim = await startSimulator({
    tickMs: 0,
    seed: 1,
    now: () => clock.t,
    ...options,
  });
  try {
    await body(sim, clock);
  } finally {
    await sim.close();
  }
}

describe('simulator auth over HTTP', () => {
  const clock = { t: ist(2025, 2, 6, 10, 0) };
  let sim: Simulator;

  before(async () => {
    sim = await startSimulator({ tickMs: 0, seed: 1, now: () => clock.t });
  });
  after(async () => {
    await sim.close();
  });

  /** A fresh step each time, so no test trips the replay rule. */
  async function login(): Promise<string> {
    clock.t += 30_000;
    const reply = await call(sim, 'POST', 'session/verifytotp', {
      form: { api_key: sim.credentials.apiKey, totp: totpAt(sim, clock.t) },
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.json));
    return reply.json.data.access_token as string;
  }

  it('listens on loopback under /openapi/typea', () => {
    assert.match(sim.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/openapi\/typea$/);
    assert.match(sim.adminUrl, /^http:\/\/127\.0\.0\.1:\d+\/__sim$/);
  });

  it('refuses any call without X-Mirae-Version: 1', async () => {
    const token = await login();
    for (const version of [null, '2', '']) {
      assertError(
        await call(sim, 'GET', 'orders', { token, version }),
        400,
        'VersionException',
        'Please provide valid api version.',
      );
      assertError(
        await call(sim, 'POST', 'connect/login', {
          version,
          form: { username: 'PAPER1', password: sim.credentials.password },
        }),
        400,
        'VersionException',
      );
    }
  });

  it('logs in with username/password in either casing', async () => {
    for (const [u, p] of [
      ['username', 'password'],
      ['Username', 'Password'],
    ] as const) {
      const reply = await call(sim, 'POST', 'connect/login', {
        form: {
          [u]: sim.credentials.username,
          [p]: sim.credentials.password,
        },
      });
      assert.equal(reply.status, 200);
      assert.equal(reply.json.status, 'success');
      assert.equal(reply.json.data.cid, 'PAPER1');
      assert.match(reply.json.data.ugid ?? '', /^[0-9a-f-]{36}$/);
      assert.equal('access_token' in reply.json.data, false);
    }
  });

  it('answers a wrong password with HTTP 500 MACM1', async () => {
    assertError(
      await call(sim, 'POST', 'connect/login', {
        form: { username: 'PAPER1', password: 'wrong' },
      }),
      500,
      'MiraeException',
      'Invalid username or password (MACM1)',
    );
    assertError(
      await call(sim, 'POST', 'connect/login', {
        form: { username: 'PAPER1' },
      }),
      400,
      'InputException',
      /password is required/,
    );
  });

  it('opens a session from verifytotp alone, no prior login needed', async () => {
    const token = await login();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const orders = await call(sim, 'GET', 'orders', { token });
    assert.equal(orders.status, 200);
    assert.deepEqual(orders.json, { status: 'success', data: [] });
  });

  it('refuses a replayed code and a wrong code with HTTP 400', async () => {
    clock.t += 30_000;
    const code = totpAt(sim, clock.t);
    const form = { api_key: sim.credentials.apiKey, totp: code };
    const first = await call(sim, 'POST', 'session/verifytotp', { form });
    assert.equal(first.status, 200);
    clock.t += 5_000; // same step
    assertError(
      await call(sim, 'POST', 'session/verifytotp', { form }),
      400,
      'MiraeException',
      'Please enter correct TOTP',
    );
    const wrong = code === '000000' ? '000001' : '000000';
    clock.t += 60_000;
    assertError(
      await call(sim, 'POST', 'session/verifytotp', {
        form: { api_key: sim.credentials.apiKey, totp: wrong },
      }),
      400,
      'MiraeException',
      'Please enter correct TOTP',
    );
  });

  it('accepts a code one step old (clock skew) but not three', async () => {
    clock.t += 120_000;
    const old = totpAt(sim, clock.t - 30_000);
    const ok = await call(sim, 'POST', 'session/verifytotp', {
      form: { api_key: sim.credentials.apiKey, totp: old },
    });
    assert.equal(ok.status, 200);
    clock.t += 120_000;
    assertError(
      await call(sim, 'POST', 'session/verifytotp', {
        form: {
          api_key: sim.credentials.apiKey,
          totp: totpAt(sim, clock.t - 90_000),
        },
      }),
      400,
      'MiraeException',
    );
  });

  it('answers an unknown API key with 403 APIKeyException', async () => {
    clock.t += 30_000;
    assertError(
      await call(sim, 'POST', 'session/verifytotp', {
        form: { api_key: 'zz99@@', totp: totpAt(sim, clock.t) },
      }),
      403,
      'APIKeyException',
    );
    const token = await login();
    const reply = await fetch(`${sim.baseUrl}/orders`, {
      headers: {
        'X-Mirae-Version': '1',
        Authorization: `token zz99@@:${token}`,
      },
    });
    assert.equal(reply.status, 403);
  });

  it('answers a missing, malformed or unknown token with 401 TokenException', async () => {
    const token = await login();
    const variants: Record<string, string>[] = [
      {},
      { Authorization: `Bearer ${token}` },
      { Authorization: `token ${token}` },
      { Authorization: `token ${sim.credentials.apiKey}:` },
      { Authorization: `token ${sim.credentials.apiKey}:x.y.z` },
    ];
    for (const headers of variants) {
      assertError(
        await call(sim, 'GET', 'user/fundsummary', { headers }),
        401,
        'TokenException',
        'Invalid request. Please try again.',
      );
    }
  });

  it('ends a session on logout, and all of them on expireSessions', async () => {
    const a = await login();
    const b = await login();
    const out = await call(sim, 'GET', 'logout', { token: a });
    assert.equal(out.status, 200);
    assert.equal(out.json.status, 'success');
    assertError(
      await call(sim, 'GET', 'orders', { token: a }),
      401,
      'TokenException',
    );
    assert.equal((await call(sim, 'GET', 'orders', { token: b })).status, 200);
    sim.expireSessions();
    assertError(
      await call(sim, 'GET', 'orders', { token: b }),
      401,
      'TokenException',
    );
  });

  it('dates its replies by the injected clock', async () => {
    const reply = await call(sim, 'POST', 'connect/login', {
      form: { username: 'PAPER1', password: sim.credentials.password },
    });
    assert.equal(reply.headers.get('date'), new Date(clock.t).toUTCString());
  });

  it('refuses a JSON body on the login form routes', async () => {
    const reply = await call(sim, 'POST', 'connect/login', {
      body: JSON.stringify({ username: 'PAPER1', password: 'x' }),
      contentType: 'application/json',
    });
    assertError(reply, 200, 'InputException', /form-encoded/);
  });
});

describe('simulator token lifetime', () => {
  it('kills a token at 00:00 IST, not 24 hours after login', async () => {
    await withSim({}, ist(2025, 2, 6, 23, 0), async (sim, clock) => {
      const reply = await call(sim, 'POST', 'session/verifytotp', {
        form: { api_key: sim.credentials.apiKey, totp: totpAt(sim, clock.t) },
      });
      const token = reply.json.data.access_token as string;
      clock.t = ist(2025, 2, 6, 23, 59);
      assert.equal((await call(sim, 'GET', 'orders', { token })).status, 200);
      clock.t = ist(2025, 2, 7, 0, 0);
      assertError(
        await call(sim, 'GET', 'orders', { token }),
        401,
        'TokenException',
      );
    });
  });

  it('kills a morning token after 12 hours', async () => {
    await withSim({}, ist(2025, 2, 6, 6, 0), async (sim, clock) => {
      const reply = await call(sim, 'POST', 'session/verifytotp', {
        form: { api_key: sim.credentials.apiKey, totp: totpAt(sim, clock.t) },
      });
      const token = reply.json.data.access_token as string;
      clock.t = ist(2025, 2, 6, 17, 59);
      assert.equal((await call(sim, 'GET', 'orders', { token })).status, 200);
      clock.t = ist(2025, 2, 6, 18, 0);
      assert.equal((await call(sim, 'GET', 'orders', { token })).status, 401);
    });
  });

  it('can answer TokenException under HTTP 200 instead', async () => {
    await withSim(
      { tokenErrorStatus: 200 },
      ist(2025, 2, 6, 10),
      async (sim) => {
        assertError(
          await call(sim, 'GET', 'orders', { token: 'a.b.c' }),
          200,
          'TokenException',
        );
      },
    );
  });
});

describe('simulator session/token path', () => {
  it('completes a token-less verifytotp with the same code at session/token', async () => {
    await withSim(
      { verifyTotpReturnsToken: false },
      ist(2025, 2, 6, 10),
      async (sim, clock) => {
        const code = totpAt(sim, clock.t);
        const verify = await call(sim, 'POST', 'session/verifytotp', {
          form: { api_key: sim.credentials.apiKey, totp: code },
        });
        assert.equal(verify.status, 200);
        assert.equal('access_token' in verify.json.data, false);

        const base = { api_key: sim.credentials.apiKey, request_token: code };
        assertError(
          await call(sim, 'POST', 'session/token', {
            form: { ...base, checksum: 'a'.repeat(64) },
          }),
          400,
          'InputException',
          /checksum/,
        );
        assertError(
          await call(sim, 'POST', 'session/token', { form: base }),
          400,
          'InputException',
          /checksum is required/,
        );
        const session = await call(sim, 'POST', 'session/token', {
          form: { ...base, checksum: 'L' },
        });
        assert.equal(session.status, 200, JSON.stringify(session.json));
        const token = session.json.data.access_token as string;
        assert.equal(session.json.data.user_name, 'PAPER1');
        assert.equal((await call(sim, 'GET', 'orders', { token })).status, 200);

        // The held code is spent; a second exchange fails.
        assertError(
          await call(sim, 'POST', 'session/token', {
            form: { ...base, checksum: 'L' },
          }),
          400,
          'MiraeException',
          /OTP is incorrect/,
        );
      },
    );
  });

  it('takes a fresh TOTP code as request_token too', async () => {
    await withSim({}, ist(2025, 2, 6, 10), async (sim, clock) => {
      const session = await call(sim, 'POST', 'session/token', {
        form: {
          api_key: sim.credentials.apiKey,
          request_token: totpAt(sim, clock.t),
          checksum: 'W',
        },
      });
      assert.equal(session.status, 200);
      assert.equal(typeof session.json.data.access_token, 'string');
      assertError(
        await call(sim, 'POST', 'session/token', {
          form: { api_key: 'nope@@', request_token: '123', checksum: 'L' },
        }),
        403,
        'APIKeyException',
      );
    });
  });
});
