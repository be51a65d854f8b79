import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AppKey } from './app.js';

/** A browser session of one app, as the use cases see it (no token in the clear). */
export interface BffSession {
  id: string;
  app: AppKey;
  subject: string;
  /** The provider's session id for this app's client, for back-channel logout. */
  sid: string | null;
  /** From the ID token: sub, and email and name when the provider put them there. */
  claims: { sub: string; email?: string; name?: string };
  csrfToken: string;
  createdAt: Date;
  lastSeenAt: Date;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
}

/**
 * A cookie's secret: 256 random bits (OWASP asks ≥ 64 bits of entropy; the issue ≥ 128), base64url.
 * Only its SHA-256 is stored, so a copy of the database opens no session.
 */
export const newSecret = (): string => randomBytes(32).toString('base64url');

export const hashOf = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

/** A cookie value that can be a secret of ours at all (anything else is not looked up). */
export const looksLikeSecret = (value: string | undefined): value is string =>
  typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value);

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The claims kept from an ID token: who, and how to greet them. */
export function userClaimsOf(idClaims: Record<string, unknown>): BffSession['claims'] {
  const claims: BffSession['claims'] = { sub: String(idClaims.sub) };
  if (typeof idClaims.email === 'string') claims.email = idClaims.email;
  if (typeof idClaims.name === 'string') claims.name = idClaims.name;
  return claims;
}

/** Authenticated context of a sealed token: which session row and which column it belongs to. */
export const tokenContext = {
  refresh: (sessionId: string) => `refresh:${sessionId}`,
  id: (sessionId: string) => `id:${sessionId}`,
  access: (sessionId: string, audience: string) => `access:${sessionId}:${audience}`,
  verifier: (loginHash: Buffer) => `verifier:${loginHash.toString('hex')}`,
};
