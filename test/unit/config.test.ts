import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

function problems(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives a paper-mode terminal chat with nothing set', () => {
    const config = loadConfig({});
    assert.equal(config.mode, 'paper');
    assert.equal(config.telegram.token, undefined);
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
    assert.equal(config.queuePrefix, 'mstock-bot');
    assert.equal(config.orderPollMs, 2000);
    assert.equal(
      config.mstock.baseUrl,
      'https://api.mstock.trade/openapi/typea',
    );
  });

  it('parses users with roles, trader by default', () => {
    const config = loadConfig({
      TELEGRAM_USERS: '111:admin, 222 ,333:viewer',
    });
    assert.deepEqual(config.telegram.users, [
      { id: 111, role: 'admin' },
      { id: 222, role: 'trader' },
      { id: 333, role: 'viewer' },
    ]);
  });

  it('refuses a token without users', () => {
    const msg = problems({
      TELEGRAM_BOT_TOKEN: '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    });
    assert.match(msg, /TELEGRAM_USERS is required/);
    assert.doesNotMatch(msg, /ABCDEFGHIJ/);
  });

  it('refuses an empty user list with a token', () => {
    const msg = problems({
      TELEGRAM_BOT_TOKEN: '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ',
      TELEGRAM_USERS: ' , ',
    });
    assert.match(msg, /TELEGRAM_USERS/);
  });

  it('names a bad role and a bad id', () => {
    assert.match(
      problems({ TELEGRAM_USERS: '1:boss' }),
      /TELEGRAM_USERS role "boss"/,
    );
    assert.match(
      problems({ TELEGRAM_USERS: 'alice' }),
      /TELEGRAM_USERS entry "alice"/,
    );
  });

  it('requires every credential in live mode without printing any', () => {
    const msg = problems({
      TRADING_MODE: 'live',
      MSTOCK_API_KEY: 'secret-key-value',
      MSTOCK_PASSWORD: 'hunter2',
    });
    assert.match(msg, /MSTOCK_USERNAME is required when TRADING_MODE=live/);
    assert.match(msg, /MSTOCK_TOTP_SECRET is required/);
    assert.doesNotMatch(msg, /secret-key-value|hunter2/);
  });

  it('normalises a TOTP secret and rejects a non-Base32 one', () => {
    const config = loadConfig({ MSTOCK_TOTP_SECRET: 'gezd gnbv gy3t qojq' });
    assert.equal(config.mstock.credentials, undefined);
    const msg = problems({ MSTOCK_TOTP_SECRET: 'not-base32-at-all-1890' });
    assert.match(msg, /MSTOCK_TOTP_SECRET must be the Base32 secret/);
    assert.doesNotMatch(msg, /not-base32/);
  });

  it('rejects bad numbers, modes and urls naming the variable', () => {
    assert.match(problems({ ORDER_POLL_MS: 'fast' }), /ORDER_POLL_MS/);
    assert.match(
      problems({ ORDER_POLL_MS: '10' }),
      /ORDER_POLL_MS must be at least 500/,
    );
    assert.match(
      problems({ TRADING_MODE: 'real' }),
      /TRADING_MODE must be "paper" or "live"/,
    );
    assert.match(
      problems({ MSTOCK_BASE_URL: 'nope' }),
      /MSTOCK_BASE_URL must be an absolute http/,
    );
    assert.match(
      problems({ REDIS_URL: 'localhost' }),
      /REDIS_URL must be a redis/,
    );
    assert.match(
      problems({ ALERT_CHAT_IDS: '-100123,abc' }),
      /ALERT_CHAT_IDS "abc"/,
    );
  });

  it('refuses plain http to a remote broker in live mode', () => {
    const live = {
      TRADING_MODE: 'live',
      MSTOCK_API_KEY: 'k',
      MSTOCK_USERNAME: 'u',
      MSTOCK_PASSWORD: 'p',
      MSTOCK_TOTP_SECRET: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
    };
    assert.match(
      problems({ ...live, MSTOCK_BASE_URL: 'http://api.example.test/typea' }),
      /MSTOCK_BASE_URL must use https/,
    );
    const local = loadConfig({
      ...live,
      MSTOCK_BASE_URL: 'http://127.0.0.1:9000/openapi/typea',
    });
    assert.equal(local.mode, 'live');
  });

  it('refuses a user listed twice, a huge chat id and odd URL schemes', () => {
    assert.match(
      problems({ TELEGRAM_USERS: '5:viewer,5:admin' }),
      /listed twice/,
    );
    assert.match(
      problems({ ALERT_CHAT_IDS: '12345678901234567890' }),
      /ALERT_CHAT_IDS/,
    );
    assert.match(
      problems({ TELEGRAM_API_ROOT: 'ftp://127.0.0.1/x' }),
      /TELEGRAM_API_ROOT must be an absolute http/,
    );
    assert.match(
      problems({ MSTOCK_BASE_URL: 'javascript:alert(1)' }),
      /MSTOCK_BASE_URL/,
    );
  });

  it('strips a trailing slash from the Bot API root', () => {
    const config = loadConfig({ TELEGRAM_API_ROOT: 'http://127.0.0.1:8081/' });
    assert.equal(config.telegram.apiRoot, 'http://127.0.0.1:8081');
  });
});
