import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BrokerError } from '../../src/mstock/errors.ts';
import { freshTotp, generateTotp, totpStep } from '../../src/mstock/totp.ts';
import { createTestClock } from '../support/fake-broker.ts';

/** RFC 6238 Appendix B, SHA-1: "12345678901234567890" in Base32. */
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('generateTotp', () => {
  // The RFC lists 8-digit codes; 6-digit codes are their last 6 digits.
  const vectors: [number, string][] = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
  ];
  for (const [seconds, code8] of vectors) {
    it(`RFC 6238 vector at ${seconds} s`, () => {
      assert.equal(generateTotp(RFC_SECRET, seconds * 1000), code8.slice(2));
    });
  }

  it('is the same within a step and changes across it', () => {
    const at = (s: number) => generateTotp(RFC_SECRET, s * 1000);
    assert.equal(at(30), at(59));
    assert.notEqual(at(59), at(60));
    assert.equal(totpStep(59_999), 1);
    assert.equal(totpStep(60_000), 2);
  });

  it('accepts a 16-character secret, as the configuration does', () => {
    assert.match(generateTotp('JBSWY3DPEHPK3PXP', 0), /^\d{6}$/);
  });

  it('fails with a hint and without the secret for a bad one', () => {
    const bad = 'NOT-BASE32-!!';
    assert.throws(
      () => generateTotp(bad, 0),
      (err) =>
        err instanceof BrokerError &&
        err.kind === 'auth' &&
        /MSTOCK_TOTP_SECRET/.test(err.message) &&
        !err.message.includes(bad) &&
        err.cause === undefined,
    );
  });
});

describe('freshTotp', () => {
  it('uses the current step when enough of it is left', async () => {
    const clock = createTestClock(60_000 + 10_000);
    const totp = await freshTotp({
      secret: RFC_SECRET,
      now: clock.now,
      sleep: clock.sleep,
      lastUsedStep: null,
    });
    assert.equal(totp.step, 2);
    assert.equal(clock.slept(), 0);
    assert.equal(totp.code, generateTotp(RFC_SECRET, 70_000));
  });

  it('waits for the next step at hh:mm:29.5 (FR-01)', async () => {
    const clock = createTestClock(30_000 * 100 + 29_500);
    const totp = await freshTotp({
      secret: RFC_SECRET,
      now: clock.now,
      sleep: clock.sleep,
      lastUsedStep: null,
    });
    assert.equal(totp.step, 101);
    assert.equal(clock.slept(), 500);
    // Generated after the wait, from the clock as it then reads.
    assert.equal(totp.code, generateTotp(RFC_SECRET, 30_000 * 101));
  });

  it('never reuses a step already sent (FR-02)', async () => {
    const clock = createTestClock(30_000 * 100 + 10_000);
    const first = await freshTotp({
      secret: RFC_SECRET,
      now: clock.now,
      sleep: clock.sleep,
      lastUsedStep: null,
    });
    clock.advance(5_000);
    const second = await freshTotp({
      secret: RFC_SECRET,
      now: clock.now,
      sleep: clock.sleep,
      lastUsedStep: first.step,
    });
    assert.equal(second.step, first.step + 1);
    assert.notEqual(second.code, first.code);
    assert.equal(clock.now(), 30_000 * 101);
  });

  it('also waits when another process used a later step', async () => {
    const clock = createTestClock(30_000 * 100 + 1_000);
    const totp = await freshTotp({
      secret: RFC_SECRET,
      now: clock.now,
      sleep: clock.sleep,
      lastUsedStep: 101,
    });
    assert.equal(totp.step, 102);
  });
});
