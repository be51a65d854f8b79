import { type Kysely, sql } from '@emporium/db';

/**
 * Accounts, their sessions, the failed logins that the rate limits count, and the audit log.
 * The CHECKs repeat the domain's rules so that no other writer can break them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE users (
      id uuid PRIMARY KEY,
      email text NOT NULL,
      name text,
      password_hash text NOT NULL,
      roles text[] NOT NULL DEFAULT ARRAY['customer']::text[],
      region text,
      refund_limit_amount bigint,
      refund_limit_currency text,
      suspended boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT users_email_check CHECK (email = btrim(email) AND length(email) BETWEEN 3 AND 254 AND position('@' IN email) > 1),
      CONSTRAINT users_name_check CHECK (name IS NULL OR length(name) BETWEEN 1 AND 200),
      -- Only argon2id hashes in PHC format: a plaintext or a weaker scheme cannot be stored.
      CONSTRAINT users_password_hash_check CHECK (password_hash LIKE '$argon2id$%'),
      CONSTRAINT users_roles_check CHECK (
        cardinality(roles) >= 1 AND roles <@ ARRAY['customer', 'support', 'merchandiser', 'admin']::text[]
      ),
      CONSTRAINT users_region_check CHECK (region IS NULL OR region ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(region) <= 32),
      CONSTRAINT users_refund_limit_check CHECK (
        (refund_limit_amount IS NULL) = (refund_limit_currency IS NULL)
        AND (refund_limit_amount IS NULL OR refund_limit_amount >= 0)
        AND (refund_limit_currency IS NULL OR refund_limit_currency ~ '^[A-Z]{3}$')
      )
    )`.execute(db);
  // Unique case-insensitively: Alice@Example.com and alice@example.com are one account.
  await sql`CREATE UNIQUE INDEX users_email_key ON users (lower(email))`.execute(db);
  await sql`CREATE INDEX users_listing ON users (created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX users_email_prefix ON users (lower(email) text_pattern_ops)`.execute(db);

  await sql`
    CREATE TABLE sessions (
      id uuid PRIMARY KEY,
      token_hash bytea NOT NULL,
      user_id uuid NOT NULL REFERENCES users (id),
      created_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL,
      idle_expires_at timestamptz NOT NULL,
      absolute_expires_at timestamptz NOT NULL,
      revoked_at timestamptz,
      revoked_reason text,
      user_agent text,
      ip text,
      CONSTRAINT sessions_token_hash_key UNIQUE (token_hash),
      CONSTRAINT sessions_token_hash_check CHECK (length(token_hash) = 32),
      CONSTRAINT sessions_expiry_check CHECK (idle_expires_at <= absolute_expires_at AND absolute_expires_at > created_at),
      CONSTRAINT sessions_revoked_check CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL)),
      CONSTRAINT sessions_user_agent_check CHECK (user_agent IS NULL OR length(user_agent) <= 512)
    )`.execute(db);
  await sql`CREATE INDEX sessions_user_active ON sessions (user_id, created_at DESC) WHERE revoked_at IS NULL`.execute(db);

  await sql`
    CREATE TABLE login_failures (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      email_key text,
      ip text,
      at timestamptz NOT NULL,
      CONSTRAINT login_failures_key_check CHECK (email_key IS NOT NULL OR ip IS NOT NULL),
      CONSTRAINT login_failures_email_check CHECK (email_key IS NULL OR email_key = lower(email_key))
    )`.execute(db);
  await sql`CREATE INDEX login_failures_by_email ON login_failures (email_key, at) WHERE email_key IS NOT NULL`.execute(db);
  await sql`CREATE INDEX login_failures_by_ip ON login_failures (ip, at) WHERE ip IS NOT NULL`.execute(db);
  await sql`CREATE INDEX login_failures_at ON login_failures (at)`.execute(db);

  // No foreign key to users: the record outlives what it is about, and a failed login for an
  // unknown e-mail has no subject.
  await sql`
    CREATE TABLE audit_log (
      id uuid PRIMARY KEY,
      at timestamptz NOT NULL,
      actor text NOT NULL,
      subject_user_id uuid,
      action text NOT NULL,
      details jsonb NOT NULL DEFAULT '{}'::jsonb,
      ip text,
      CONSTRAINT audit_log_actor_check CHECK (
        actor = 'system' OR actor ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
      ),
      CONSTRAINT audit_log_action_check CHECK (action ~ '^[a-z_]+(\\.[a-z_]+)+$'),
      CONSTRAINT audit_log_details_check CHECK (jsonb_typeof(details) = 'object')
    )`.execute(db);
  await sql`CREATE INDEX audit_log_listing ON audit_log (at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX audit_log_subject ON audit_log (subject_user_id, at DESC, id DESC) WHERE subject_user_id IS NOT NULL`.execute(db);
}
