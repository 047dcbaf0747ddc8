import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createGuardrails, generateSync } from 'otplib';
import { AuthState } from '../../src/simulator/auth.ts';

/** RFC 6238 Appendix B: ASCII "12345678901234567890" in Base32. */
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const IST_OFFSET_MS = (5 * 60 + 30) * 60 * 1000;
const ist = (y: number, mo: number, d: number, h: number, mi = 0) =>
  Date.UTC(y, mo - 1, d, h, mi) - IST_OFFSET_MS;

function makeAuth(startMs: number, secret = RFC_SECRET) {
  const clock = { t: startMs };
  const auth = new AuthState(
    {
      apiKey: 'ab12cd34+/xy@@',
      username: 'PAPER1',
      password: 'pw-1',
      totpSecret: secret,
    },
    () => clock.t,
  );
  return { auth, clock };
}

const codeAt = (epochS: number, secret = RFC_SECRET) =>
  generateSync({
    secret,
    epoch: epochS,
    guardrails: createGuardrails({ MIN_SECRET_BYTES: 10 }),
  });

describe('simulator auth: TOTP', () => {
  it('accepts the RFC 6238 vector (T=59 s → 287082) once, then calls it a replay', () => {
    const { auth } = makeAuth(59_000);
    assert.equal(auth.verifyTotp('287082'), 'ok');
    assert.equal(auth.verifyTotp('287082'), 'replay');
  });

  it('accepts one step of skew either way, not two', () => {
    const { auth, clock } = makeAuth(75_000); // step 2
    assert.equal(auth.verifyTotp(codeAt(40)), 'ok'); // step 1
    clock.t = 135_000; // step 4
    assert.equal(auth.verifyTotp(codeAt(165)), 'ok'); // step 5
    clock.t = 305_000; // step 10
    assert.equal(auth.verifyTotp(codeAt(245)), 'wrong'); // step 8
  });

  it('refuses a code of a step at or before the last consumed one', () => {
    const { auth, clock } = makeAuth(95_000); // step 3
    assert.equal(auth.verifyTotp(codeAt(95)), 'ok');
    clock.t = 100_000;
    // Step 2 is still inside the tolerance window, yet older than step 3.
    assert.equal(auth.verifyTotp(codeAt(65)), 'replay');
    clock.t = 125_000; // step 4
    assert.equal(auth.verifyTotp(codeAt(125)), 'ok');
  });

  it('calls malformed and wrong codes wrong without throwing', () => {
    const { auth } = makeAuth(59_000);
    const right = codeAt(59);
    const wrong = right === '000000' ? '111111' : '000000';
    for (const code of [wrong, '', '28708', '2870820', 'abcdef', ' 287082x']) {
      assert.equal(auth.verifyTotp(code), 'wrong', code);
    }
  });

  it('verifies a 16-character secret that otplib rejects by default', () => {
    const secret = 'GEZDGNBVGY3TQOJQ';
    const { auth } = makeAuth(59_000, secret);
    assert.equal(auth.verifyTotp(codeAt(59, secret)), 'ok');
  });

  it('never matches a code when the secret is not Base32', () => {
    const { auth } = makeAuth(59_000, 'not base32 at all!');
    assert.equal(auth.verifyTotp('287082'), 'wrong');
  });

  it('redeems a held verifytotp code once at session/token', () => {
    const { auth, clock } = makeAuth(59_000);
    assert.equal(auth.verifyTotp('287082'), 'ok');
    auth.holdRequestToken('287082');
    assert.equal(auth.redeemRequestToken('287082'), 'ok');
    assert.equal(auth.redeemRequestToken('287082'), 'replay');
    // A held code lapses after five minutes.
    auth.holdRequestToken('123456');
    clock.t += 5 * 60 * 1000 + 1;
    assert.notEqual(auth.redeemRequestToken('123456'), 'ok');
  });
});

describe('simulator auth: access tokens', () => {
  it('issues JWT-looking tokens that die at the next IST midnight', () => {
    const { auth, clock } = makeAuth(ist(2025, 2, 6, 18, 0));
    const { token, expiresAt } = auth.issueToken();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.equal(expiresAt, ist(2025, 2, 7, 0, 0));
    const header = JSON.parse(
      Buffer.from(token.split('.')[0]!, 'base64url').toString(),
    );
    assert.equal(header.typ, 'JWT');
    clock.t = ist(2025, 2, 6, 23, 59);
    assert.equal(auth.checkToken('ab12cd34+/xy@@', token), 'ok');
    clock.t = ist(2025, 2, 7, 0, 0);
    assert.equal(auth.checkToken('ab12cd34+/xy@@', token), 'bad-token');
  });

  it('caps a morning token at 12 hours', () => {
    const { auth, clock } = makeAuth(ist(2025, 2, 6, 5, 55));
    const { token, expiresAt } = auth.issueToken();
    assert.equal(expiresAt, ist(2025, 2, 6, 17, 55));
    clock.t = expiresAt - 1;
    assert.equal(auth.checkToken('ab12cd34+/xy@@', token), 'ok');
    clock.t = expiresAt;
    assert.equal(auth.checkToken('ab12cd34+/xy@@', token), 'bad-token');
  });

  it('tells a wrong API key from a wrong token, and revokes', () => {
    const { auth } = makeAuth(ist(2025, 2, 6, 10, 0));
    const a = auth.issueToken().token;
    const b = auth.issueToken().token;
    assert.notEqual(a, b);
    assert.equal(auth.checkToken('other@@', a), 'bad-key');
    assert.equal(auth.checkToken('ab12cd34+/xy@@', 'nope'), 'bad-token');
    auth.revoke(a);
    assert.equal(auth.checkToken('ab12cd34+/xy@@', a), 'bad-token');
    assert.equal(auth.checkToken('ab12cd34+/xy@@', b), 'ok');
    auth.expireAll();
    assert.equal(auth.checkToken('ab12cd34+/xy@@', b), 'bad-token');
    assert.equal(auth.sessionCount(), 0);
  });

  it('checks the password and the API key', () => {
    const { auth } = makeAuth(0);
    assert.equal(auth.checkLogin('PAPER1', 'pw-1'), true);
    assert.equal(auth.checkLogin('PAPER1', 'pw-2'), false);
    assert.equal(auth.checkLogin('paper1', 'pw-1'), false);
    assert.equal(auth.isApiKey('ab12cd34+/xy@@'), true);
    assert.equal(auth.isApiKey('ab12cd34 /xy@@'), false);
  });
});
