import { createHash, randomBytes } from 'node:crypto';

/** A session as its owner sees it in the list: the public handle, never the bearer secret. */
export interface Session {
  id: string;
  userId: string;
  createdAt: Date;
  lastSeenAt: Date;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
  revokedAt: Date | null;
  userAgent: string | null;
  ip: string | null;
  /**
   * The OpenID provider's session (its `uid`) this one stands for, when the login went through
   * /oidc: ending either ends the other. Null for a login with /api/identity/login.
   */
  providerSessionUid: string | null;
}

export type RevokeReason = 'logout' | 'revoked_by_user' | 'revoked_all' | 'password_changed' | 'suspended';

/**
 * A new bearer secret: 256 bits from the CSPRNG (OWASP Session Management: at least 64 bits of
 * entropy), base64url. A fresh one at every login, so a planted id is never adopted (no fixation).
 */
export const newSessionSecret = (): string => randomBytes(32).toString('base64url');

/**
 * What is stored: SHA-256 of the secret. A stolen table yields no usable session; the secret has
 * enough entropy that a fast unsalted hash is enough (no password-style stretching needed).
 */
export const hashSessionSecret = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

/** The shape of a secret we issued; anything else is rejected before touching the database. */
export const SESSION_SECRET = /^[A-Za-z0-9_-]{43}$/;
