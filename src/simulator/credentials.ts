import { randomBytes } from 'node:crypto';
import { generateSecret } from 'otplib';
import type { MstockCredentials } from '../config.ts';

/**
 * Fresh credentials for the paper account. The API key imitates mStock's
 * look (Base64 with `@` instead of `=` padding, so it may hold `/` and
 * `+`), which makes every client encode it the way the live key needs.
 */
export function generatePaperCredentials(): MstockCredentials {
  const apiKey = randomBytes(16).toString('base64').replace(/=/g, '@');
  return {
    apiKey,
    username: 'PAPER1',
    password: randomBytes(18).toString('base64url'),
    // 20 random bytes, Base32: 32 characters, as authenticator apps show.
    totpSecret: generateSecret(),
  };
}
