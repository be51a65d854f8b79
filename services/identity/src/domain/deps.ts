import type { IdentityDb } from '../data-access/db.js';

/** Turns a password into a stored hash and checks one; backed by argon2id (src/crypto). */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /**
   * Spends the time of one verify against a hash of the current cost, for an e-mail no account has:
   * the answer and its timing do not tell whether the account exists.
   */
  verifyDummy(password: string): Promise<void>;
  /** The hash was made with other cost parameters than the configured ones (rehash at the next login). */
  needsRehash(hash: string): boolean;
}

export type LoginOutcome = 'succeeded' | 'failed' | 'suspended' | 'rate_limited';

/** Business counters the use cases move; app.ts backs them with Prometheus counters. */
export interface IdentityMetrics {
  login(outcome: LoginOutcome): void;
  signedUp(): void;
  sessionsRevoked(count: number): void;
}

export interface IdentitySettings {
  loginWindowSeconds: number;
  maxFailuresPerAccount: number;
  maxFailuresPerIp: number;
  sessionIdleSeconds: number;
  sessionAbsoluteSeconds: number;
}

/** What every use case receives: passed in from the composition root, nothing global. */
export interface IdentityDeps {
  db: IdentityDb;
  passwords: PasswordHasher;
  metrics: IdentityMetrics;
  settings: IdentitySettings;
  now(): Date;
  newId(): string;
}

/** Where a request came from, for the rate limits, the session list and the audit log. */
export interface Client {
  ip: string | null;
  userAgent: string | null;
}
