import { type Kysely, sql } from '@emporium/db';

/**
 * The backend-for-frontend's state: sign-ins in progress, browser sessions, and the access tokens
 * each session holds per service. A browser only ever holds a random secret; its SHA-256 is the
 * lookup key here. Every token is stored encrypted (AES-256-GCM, BFF_TOKEN_KEYS).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE bff_logins (
      secret_hash bytea PRIMARY KEY,
      app text NOT NULL,
      state text NOT NULL,
      nonce text NOT NULL,
      code_verifier bytea NOT NULL,
      return_to text NOT NULL,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      CONSTRAINT bff_logins_secret_hash_check CHECK (octet_length(secret_hash) = 32)
    )`.execute(db);
  await sql`CREATE INDEX bff_logins_expiry ON bff_logins (expires_at)`.execute(db);

  await sql`
    CREATE TABLE bff_sessions (
      id uuid PRIMARY KEY,
      secret_hash bytea NOT NULL UNIQUE,
      app text NOT NULL,
      subject text NOT NULL,
      sid text,
      claims jsonb NOT NULL,
      csrf_token text NOT NULL,
      id_token bytea NOT NULL,
      refresh_token bytea,
      created_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL,
      idle_expires_at timestamptz NOT NULL,
      absolute_expires_at timestamptz NOT NULL,
      CONSTRAINT bff_sessions_secret_hash_check CHECK (octet_length(secret_hash) = 32),
      CONSTRAINT bff_sessions_claims_check CHECK (jsonb_typeof(claims) = 'object'),
      CONSTRAINT bff_sessions_expiry_check CHECK (idle_expires_at <= absolute_expires_at)
    )`.execute(db);
  // Back-channel logout ends the sessions of one provider session (sid), or of one user (sub).
  await sql`CREATE INDEX bff_sessions_sid ON bff_sessions (app, sid) WHERE sid IS NOT NULL`.execute(db);
  await sql`CREATE INDEX bff_sessions_subject ON bff_sessions (app, subject)`.execute(db);
  await sql`CREATE INDEX bff_sessions_idle_expiry ON bff_sessions (idle_expires_at)`.execute(db);

  await sql`
    CREATE TABLE bff_access_tokens (
      session_id uuid NOT NULL REFERENCES bff_sessions (id) ON DELETE CASCADE,
      audience text NOT NULL,
      token bytea NOT NULL,
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (session_id, audience)
    )`.execute(db);
}
