import { type Kysely, sql } from '@emporium/db';

/**
 * Zero trust, identity's part:
 * - a session opened by a login through the OpenID provider names the provider's session (its
 *   `uid`, stable for the session's life), so ending one ends the other;
 * - the provider's sessions and grants can be found by account (ending all of a user's sessions);
 * - a customer's saved shipping addresses.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE sessions ADD COLUMN oidc_session_uid text`.execute(db);
  await sql`
    ALTER TABLE sessions ADD CONSTRAINT sessions_oidc_session_uid_check
      CHECK (oidc_session_uid IS NULL OR length(oidc_session_uid) BETWEEN 1 AND 128)`.execute(db);
  await sql`CREATE INDEX sessions_oidc_session ON sessions (oidc_session_uid) WHERE oidc_session_uid IS NOT NULL`.execute(db);

  // The provider's Session and Grant payloads carry accountId (oidc-provider 9's models).
  await sql`
    CREATE INDEX oidc_payloads_account ON oidc_payloads (kind, (payload->>'accountId'))
    WHERE kind IN ('Session', 'Grant')`.execute(db);

  await sql`
    CREATE TABLE addresses (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users (id),
      name text NOT NULL,
      line1 text NOT NULL,
      line2 text,
      city text NOT NULL,
      postal_code text NOT NULL,
      country text NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT addresses_name_check CHECK (length(name) BETWEEN 1 AND 200),
      CONSTRAINT addresses_line1_check CHECK (length(line1) BETWEEN 1 AND 200),
      CONSTRAINT addresses_line2_check CHECK (line2 IS NULL OR length(line2) BETWEEN 1 AND 200),
      CONSTRAINT addresses_city_check CHECK (length(city) BETWEEN 1 AND 100),
      CONSTRAINT addresses_postal_code_check CHECK (length(postal_code) BETWEEN 1 AND 20),
      -- ISO 3166-1 alpha-2
      CONSTRAINT addresses_country_check CHECK (country ~ '^[A-Z]{2}$')
    )`.execute(db);
  await sql`CREATE INDEX addresses_of_user ON addresses (user_id, created_at DESC, id DESC)`.execute(db);
}
