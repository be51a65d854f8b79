import { type Kysely, sql } from '@emporium/db';

/**
 * What the OpenID Connect provider stores (sessions, interactions, grants, codes, tokens…), one
 * row per model instance. The payload is the provider's own; the other columns are the lookups
 * the adapter contract needs (by grant, by user code, by session uid) and the expiry.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE oidc_payloads (
      kind text NOT NULL,
      id text NOT NULL,
      payload jsonb NOT NULL,
      grant_id text,
      user_code text,
      uid text,
      expires_at timestamptz,
      consumed_at timestamptz,
      PRIMARY KEY (kind, id),
      CONSTRAINT oidc_payloads_kind_check CHECK (kind ~ '^[A-Za-z]{1,64}$'),
      CONSTRAINT oidc_payloads_payload_check CHECK (jsonb_typeof(payload) = 'object')
    )`.execute(db);
  // revokeByGrantId: every token of a grant, per kind (a reused refresh token revokes its family).
  await sql`CREATE INDEX oidc_payloads_grant ON oidc_payloads (kind, grant_id) WHERE grant_id IS NOT NULL`.execute(db);
  await sql`CREATE UNIQUE INDEX oidc_payloads_user_code ON oidc_payloads (kind, user_code) WHERE user_code IS NOT NULL`.execute(db);
  await sql`CREATE UNIQUE INDEX oidc_payloads_uid ON oidc_payloads (kind, uid) WHERE uid IS NOT NULL`.execute(db);
  // For a purge of expired rows.
  await sql`CREATE INDEX oidc_payloads_expiry ON oidc_payloads (expires_at) WHERE expires_at IS NOT NULL`.execute(db);
}
