import { randomBytes } from 'node:crypto';
import { createDb, type Db, migrate } from '@emporium/db';
import { createTestDatabase } from '@emporium/testing';
import { type IdentityDatabase, identityMigrations } from '../src/index.js';
import { ORDERS_SERVICE, startIdentityWithOidc, tokenRequest } from './oidc-support.js';
import type { Identity } from './support.js';

/** A fresh AES-256 key for the signing keys at rest (IDENTITY_OIDC_KEY_ENCRYPTION_KEY), base64. */
export const anEncryptionKey = () => randomBytes(32).toString('base64');

/** Identity with its provider on and the signing keys in its database, encrypted under a key of its own. */
export async function startKeyedIdentity(overrides: Record<string, string> = {}): Promise<Identity & { issuer: string }> {
  return startIdentityWithOidc({ IDENTITY_OIDC_KEY_ENCRYPTION_KEY: anEncryptionKey(), ...overrides });
}

/** A migrated identity database of its own, for the key lifecycle driven by hand (with a clock of the test's). */
export async function aMigratedDatabase(): Promise<{ db: Db<IdentityDatabase>; url: string }> {
  const url = await createTestDatabase('identity_keys');
  const db = createDb<IdentityDatabase>(url, { max: 4 });
  await migrate(db, identityMigrations);
  return { db, url };
}

/** The kid in a JWT's protected header. */
export const kidOf = (jwt: string): string => JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()).kid;

/** A client-credentials access token of the orders service for payments, asked of the provider at `base` (its issuer or a replica's /oidc). */
export const paymentsToken = (base: string) =>
  tokenRequest(base, { grant_type: 'client_credentials', resource: 'urn:emporium:payments', scope: 'payments:capture' }, ORDERS_SERVICE);

/** The published JWKS of a provider, by kid. */
export async function publishedKids(issuer: string): Promise<string[]> {
  const res = await fetch(`${issuer}/jwks`);
  const jwks = (await res.json()) as { keys: { kid: string }[] };
  return jwks.keys.map((k) => k.kid);
}
