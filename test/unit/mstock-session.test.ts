import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BrokerError } from '../../src/mstock/errors.ts';
import { markNeverSent, type MstockRequest } from '../../src/mstock/http.ts';
import { MemorySessionStore } from '../../src/mstock/session-store.ts';
import {
  MstockSession,
  sessionExpiry,
  type Transport,
} from '../../src/mstock/session.ts';
import { generateTotp, totpStep } from '../../src/mstock/totp.ts';
import {
  collectLogs,
  createTestClock,
  testCredentials,
  type TestClock,
} from '../support/fake-broker.ts';

const IST = 5.5 * 3600_000;
/** Epoch ms of a wall-clock time in India. */
const ist = (y: number, mo: number, d: number, h: number, mi = 0) =>
  Date.UTC(y, mo - 1, d, h, mi) - IST;

describe('sessionExpiry (FR-03)', () => {
  it('a late login dies at midnight IST, not 12 h later', () => {
    assert.equal(sessionExpiry(ist(2025, 2, 5, 18)), ist(2025, 2, 6, 0));
  });

  it('an early login dies 12 h later', () => {
    assert.equal(
      sessionExpiry(ist(2025, 2, 6, 5, 55)),
      ist(2025, 2, 6, 17, 55),
    );
  });

  it('yesterday 18:00 is dead at 07:30 today', () => {
    assert.ok(sessionExpiry(ist(2025, 2, 5, 18)) < ist(2025, 2, 6, 7, 30));
  });
});

interface Harness {
  session: MstockSession;
  sent: MstockRequest[];
  clock: TestClock;
  store: MemorySessionStore;
  lines: string[];
}

const creds = testCredentials();

/**
 * A session over a scripted transport: `verify` decides each verifytotp
 * answer from the code and the attempt number.
 */
function harness(
  options: {
    clock?: TestClock;
    store?: MemorySessionStore;
    sent?: MstockRequest[];
    verify?: (code: string, attempt: number) => unknown;
    serverDate?: () => number | null;
    gateDelayMs?: number;
  } = {},
): Harness {
  const clock =
    options.clock ?? createTestClock(ist(2025, 2, 6, 9, 0) + 10_000);
  const store = options.store ?? new MemorySessionStore(clock.now);
  const sent = options.sent ?? [];
  const { logger, lines } = collectLogs();
  let verifies = 0;
  let tokens = 0;
  const transport: Transport = async (pending) => {
    // The client's gate (rate limiter) may hold the TOTP request.
    if (pending.path === 'session/verifytotp') {
      await clock.sleep(options.gateDelayMs ?? 0);
    }
    const request = pending.prepareForm
      ? { ...pending, form: await pending.prepareForm() }
      : pending;
    sent.push(request);
    await new Promise((r) => setImmediate(r));
    if (request.path === 'connect/login') {
      return { status: 200, data: { cid: 'MA12345' } };
    }
    if (request.path === 'session/verifytotp') {
      verifies += 1;
      const code = request.form?.totp ?? '';
      const answer = options.verify
        ? options.verify(code, verifies)
        : { access_token: `tok-${++tokens}` };
      if (answer instanceof Error) throw answer;
      return { status: 200, data: answer };
    }
    if (request.path === 'session/token') {
      return { status: 200, data: { access_token: `tok-${++tokens}` } };
    }
    throw new Error(`unexpected ${request.path}`);
  };
  const session = new MstockSession({
    credentials: creds,
    store,
    transport,
    serverDate: options.serverDate ?? (() => null),
    logger,
    now: clock.now,
    sleep: clock.sleep,
  });
  return { session, sent, clock, store, lines };
}

const paths = (sent: MstockRequest[]) => sent.map((r) => r.path);

const wrongTotp = () =>
  new BrokerError('auth', 'mStock refused the login.', {
    brokerMessage: 'Please enter correct TOTP',
    brokerType: 'MiraeException',
  });

describe('MstockSession', () => {
  it('logs in with password then a fresh TOTP, and stores the session', async () => {
    const h = harness();
    const token = await h.session.accessToken();
    assert.equal(token, 'tok-1');
    assert.deepEqual(paths(h.sent), ['connect/login', 'session/verifytotp']);
    assert.deepEqual(h.sent[0]?.form, {
      username: creds.username,
      password: creds.password,
    });
    const form = h.sent[1]?.form;
    assert.equal(form?.api_key, creds.apiKey);
    assert.equal(form?.totp, generateTotp(creds.totpSecret, h.clock.now()));
    const stored = await h.store.get();
    assert.equal(stored?.accessToken, 'tok-1');
    assert.equal(stored?.expiresAt, sessionExpiry(h.clock.now()));
    assert.equal(await h.store.lastTotpStep(), totpStep(h.clock.now()));
    assert.deepEqual(h.session.snapshot(), {
      loggedIn: true,
      expiresAt: stored?.expiresAt,
    });
    // Cached: no second login.
    assert.equal(await h.session.accessToken(), 'tok-1');
    assert.equal(h.sent.length, 2);
  });

  it('generates the code after the rate limiter lets the login through', async () => {
    // 25 s into a step; the limiter then holds the request 3 s, leaving
    // 2 s of the step: too little, so the code is the next step's.
    const start = 30_000 * 58_000_000 + 25_000;
    const h = harness({ clock: createTestClock(start), gateDelayMs: 3_000 });
    await h.session.accessToken();
    const code = h.sent.find((r) => r.path === 'session/verifytotp')?.form
      ?.totp;
    assert.equal(h.clock.now(), 30_000 * 58_000_001);
    assert.equal(code, generateTotp(creds.totpSecret, h.clock.now()));
  });

  it('completes with session/token when verifytotp has no token', async () => {
    const h = harness({ verify: () => ({ user_id: '538' }) });
    assert.equal(await h.session.accessToken(), 'tok-1');
    assert.deepEqual(paths(h.sent), [
      'connect/login',
      'session/verifytotp',
      'session/token',
    ]);
    assert.deepEqual(h.sent[2]?.form, {
      api_key: creds.apiKey,
      request_token: h.sent[1]?.form?.totp,
      checksum: 'L',
    });
  });

  it('coalesces concurrent callers into one login', async () => {
    const h = harness();
    const tokens = await Promise.all(
      Array.from({ length: 5 }, () => h.session.accessToken()),
    );
    assert.deepEqual(new Set(tokens), new Set(['tok-1']));
    assert.equal(
      h.sent.filter((r) => r.path === 'session/verifytotp').length,
      1,
    );
  });

  it('two processes sharing a store log in once', async () => {
    const clock = createTestClock(ist(2025, 2, 6, 9, 0) + 10_000);
    const store = new MemorySessionStore(clock.now);
    const sent: MstockRequest[] = [];
    const a = harness({ clock, store, sent });
    const b = harness({ clock, store, sent });
    const [ta, tb] = await Promise.all([
      a.session.accessToken(),
      b.session.accessToken(),
    ]);
    assert.equal(ta, tb);
    assert.equal(sent.filter((r) => r.path === 'session/verifytotp').length, 1);
  });

  it('a relogin in the same step waits for the next step (FR-02)', async () => {
    const h = harness();
    const first = await h.session.accessToken();
    const firstStep = totpStep(h.clock.now());
    h.clock.advance(5_000);
    await h.session.invalidate(first);
    assert.equal(h.session.snapshot().loggedIn, false);
    assert.equal(await h.session.accessToken(), 'tok-2');
    const codes = h.sent
      .filter((r) => r.path === 'session/verifytotp')
      .map((r) => r.form?.totp);
    assert.equal(codes.length, 2);
    assert.notEqual(codes[0], codes[1]);
    assert.equal(totpStep(h.clock.now()), firstStep + 1);
    assert.equal(codes[1], generateTotp(creds.totpSecret, h.clock.now()));
  });

  it('a code that never left keeps its step usable: no wait next time', async () => {
    const refused = () =>
      markNeverSent(
        new BrokerError('unavailable', 'mStock cannot be reached.', {}),
      );
    const h = harness({
      verify: (_code, attempt) =>
        attempt === 1 ? refused() : { access_token: 'tok-1' },
    });
    await assert.rejects(h.session.accessToken(), /cannot be reached/);
    assert.equal(await h.store.lastTotpStep(), null);
    const before = h.clock.slept();
    assert.equal(await h.session.accessToken(), 'tok-1');
    assert.equal(h.clock.slept(), before, 'no wait for a fresh step');
    const codes = h.sent
      .filter((r) => r.path === 'session/verifytotp')
      .map((r) => r.form?.totp);
    assert.equal(codes.length, 2);
    assert.equal(codes[0], codes[1], 'the same step, sent once for real');
    assert.equal(await h.store.lastTotpStep(), totpStep(h.clock.now()));
  });

  it('a code that may have reached the broker stays used', async () => {
    const h = harness({
      verify: (_code, attempt) =>
        attempt === 1
          ? new BrokerError('unavailable', 'mStock timed out.', {})
          : { access_token: 'tok-1' },
    });
    const step = totpStep(h.clock.now());
    await assert.rejects(h.session.accessToken(), /timed out/);
    assert.equal(await h.store.lastTotpStep(), step);
    assert.equal(await h.session.accessToken(), 'tok-1');
    assert.equal(totpStep(h.clock.now()), step + 1, 'waited for a new step');
  });

  it('retries a wrong TOTP once with the next code and hints at skew (FR-01)', async () => {
    const h = harness({
      verify: (_code, attempt) =>
        attempt === 1 ? wrongTotp() : { access_token: 'tok-x' },
      // The broker's clock runs 40 s behind ours.
      serverDate: () => h.clock.now() - 40_000,
    });
    assert.equal(await h.session.accessToken(), 'tok-x');
    const verifies = h.sent.filter((r) => r.path === 'session/verifytotp');
    assert.equal(verifies.length, 2);
    assert.notEqual(verifies[0]?.form?.totp, verifies[1]?.form?.totp);
    const hint = h.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find(
        (l) =>
          l.msg ===
          'mstock rejected the TOTP; retrying once with the next code',
      );
    assert.equal(hint?.clock_skew_s, 40);
    assert.match(String(hint?.hint), /clock/);
    for (const line of h.lines) {
      assert.ok(!line.includes(creds.totpSecret));
      for (const v of verifies) assert.ok(!line.includes(v.form!.totp!));
    }
  });

  it('gives up after the second wrong TOTP and then fails fast', async () => {
    const h = harness({ verify: () => wrongTotp() });
    await assert.rejects(h.session.accessToken(), (err) => {
      return err instanceof BrokerError && err.kind === 'auth';
    });
    const before = h.sent.length;
    assert.equal(
      h.sent.filter((r) => r.path === 'session/verifytotp').length,
      2,
    );
    // Within the cooldown nothing reaches the broker.
    await assert.rejects(h.session.accessToken(), BrokerError);
    assert.equal(h.sent.length, before);
  });

  it('clears the stored session only if it is still the dead token', async () => {
    const h = harness();
    const old = await h.session.accessToken();
    await h.store.set({
      accessToken: 'newer-from-another-process',
      loginAt: h.clock.now(),
      expiresAt: h.clock.now() + 3600_000,
    });
    await h.session.invalidate(old);
    assert.equal(
      (await h.store.get())?.accessToken,
      'newer-from-another-process',
    );
    // The newer token is adopted without a login.
    assert.equal(await h.session.accessToken(), 'newer-from-another-process');
    assert.equal(
      h.sent.filter((r) => r.path === 'session/verifytotp').length,
      1,
    );
  });

  it('treats a token past its IST cutoff as gone', async () => {
    const h = harness();
    await h.session.accessToken();
    h.clock.advance(24 * 3600_000);
    assert.equal(h.session.snapshot().loggedIn, false);
    assert.equal(await h.session.accessToken(), 'tok-2');
  });
});
