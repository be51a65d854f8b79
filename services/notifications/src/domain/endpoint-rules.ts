import { randomBytes } from 'node:crypto';

/** What a partner endpoint must look like; the HTTP schemas and the database CHECKs say the same. */
export const PARTNER_PATTERN = '^[a-z0-9][a-z0-9_-]{0,62}$';
/** Standard Webhooks secret: `whsec_` and the base64 of a key of 24 to 64 bytes. */
export const SECRET_PATTERN = '^whsec_[A-Za-z0-9+/]{32,88}={0,2}$';
export const MAX_URL_LENGTH = 2_000;

export const isPartnerName = (s: string) => new RegExp(PARTNER_PATTERN).test(s);
export const isWebhookSecret = (s: string) => new RegExp(SECRET_PATTERN).test(s);

export function isWebhookUrl(s: string): boolean {
  if (s.length > MAX_URL_LENGTH) return false;
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/** A new signing secret: 32 random bytes (Standard Webhooks recommends 24 to 64). */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
