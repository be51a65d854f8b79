import { type Selectable, sql } from '@emporium/db';
import type { IdentityDb } from './db.js';

export type SigningKeyState = 'next' | 'current' | 'retired' | 'removed';

/** The provider's signing keys (migration 0004); see src/oidc/signing-keys.ts for the lifecycle. */
export interface OidcSigningKeysTable {
  kid: string;
  alg: string;
  state: SigningKeyState;
  /** 12-byte IV ‖ AES-256-GCM ciphertext ‖ 16-byte tag of the private JWK; null once removed. */
  encrypted_private_jwk: Buffer | null;
  /** When the key entered the published set (JWKS). */
  published_at: Date;
  activated_at: Date | null;
  retired_at: Date | null;
  remove_after: Date | null;
  removed_at: Date | null;
}

export type SigningKeyRow = Selectable<OidcSigningKeysTable>;

// The table is this module's alone: its type joins the identity database's here.
const withKeys = (db: IdentityDb) => db.withTables<{ oidc_signing_keys: OidcSigningKeysTable }>();

/**
 * Serializes every change of the key set (import, rotation, removal) across replicas and the
 * rotate-keys command: held until the transaction ends.
 */
export async function lockSigningKeys(trx: IdentityDb): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended('identity.oidc.signing-keys', 0))`.execute(trx);
}

/** Every key not yet removed, oldest first. */
export async function listLiveSigningKeys(db: IdentityDb): Promise<SigningKeyRow[]> {
  return withKeys(db).selectFrom('oidc_signing_keys').selectAll().where('state', '<>', 'removed').orderBy('published_at').execute();
}

/** Which of these kids the table has ever held (removed ones too: an import never brings a key back). */
export async function knownSigningKeyIds(db: IdentityDb, kids: string[]): Promise<Set<string>> {
  if (kids.length === 0) return new Set();
  const rows = await withKeys(db).selectFrom('oidc_signing_keys').select('kid').where('kid', 'in', kids).execute();
  return new Set(rows.map((r) => r.kid));
}

/** The keys in the JWKS at `now`: next, current, and retired ones within their retention. */
export async function publishedSigningKeys(db: IdentityDb, now: Date): Promise<SigningKeyRow[]> {
  return withKeys(db)
    .selectFrom('oidc_signing_keys')
    .selectAll()
    .where((eb) => eb.or([eb('state', 'in', ['next', 'current']), eb.and([eb('state', '=', 'retired'), eb('remove_after', '>', now)])]))
    .orderBy('published_at')
    .execute();
}

export async function insertSigningKey(trx: IdentityDb, row: SigningKeyRow): Promise<void> {
  await withKeys(trx).insertInto('oidc_signing_keys').values(row).execute();
}

async function transition(trx: IdentityDb, kid: string, from: SigningKeyState, change: Partial<Omit<SigningKeyRow, 'kid'>>): Promise<void> {
  const result = await withKeys(trx)
    .updateTable('oidc_signing_keys')
    .set(change)
    .where('kid', '=', kid)
    .where('state', '=', from)
    .executeTakeFirst();
  if (result.numUpdatedRows !== 1n) throw new Error(`signing key ${kid} is not ${from}`);
}

/** next → current. */
export const activateSigningKey = (trx: IdentityDb, kid: string, at: Date) =>
  transition(trx, kid, 'next', { state: 'current', activated_at: at });

/** current → retired, published until `removeAfter`. */
export const retireSigningKey = (trx: IdentityDb, kid: string, at: Date, removeAfter: Date) =>
  transition(trx, kid, 'current', { state: 'retired', retired_at: at, remove_after: removeAfter });

/** retired → removed for every key past its retention: unpublished, its private key erased. Returns their kids. */
export async function removeExpiredSigningKeys(trx: IdentityDb, now: Date): Promise<string[]> {
  const rows = await withKeys(trx)
    .updateTable('oidc_signing_keys')
    .set({ state: 'removed', removed_at: now, encrypted_private_jwk: null })
    .where('state', '=', 'retired')
    .where('remove_after', '<=', now)
    .returning('kid')
    .execute();
  return rows.map((r) => r.kid);
}
