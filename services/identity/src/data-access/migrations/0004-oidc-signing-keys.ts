import { type Kysely, sql } from '@emporium/db';

/**
 * The OpenID provider's signing keys and their lifecycle (src/oidc/signing-keys.ts):
 * `next` (published, not signing) → `current` (signs) → `retired` (published until every token it
 * signed has expired) → `removed` (a tombstone: unpublished, its private key erased, its kid kept so
 * that an import never brings it back). The private JWK is stored encrypted (AES-256-GCM).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE oidc_signing_keys (
      kid text PRIMARY KEY,
      alg text NOT NULL,
      state text NOT NULL,
      -- 12-byte IV ‖ ciphertext ‖ 16-byte GCM tag of the private JWK (JSON), the kid as associated data.
      encrypted_private_jwk bytea,
      published_at timestamptz NOT NULL,
      activated_at timestamptz,
      retired_at timestamptz,
      remove_after timestamptz,
      removed_at timestamptz,
      CONSTRAINT oidc_signing_keys_kid_check CHECK (kid ~ '^[A-Za-z0-9_-]{1,128}$'),
      CONSTRAINT oidc_signing_keys_alg_check CHECK (alg IN ('ES256', 'EdDSA')),
      CONSTRAINT oidc_signing_keys_state_check CHECK (state IN ('next', 'current', 'retired', 'removed')),
      CONSTRAINT oidc_signing_keys_secret_check CHECK (
        (state = 'removed') = (encrypted_private_jwk IS NULL) AND (encrypted_private_jwk IS NULL OR length(encrypted_private_jwk) > 28)
      ),
      CONSTRAINT oidc_signing_keys_current_check CHECK (state <> 'current' OR activated_at IS NOT NULL),
      CONSTRAINT oidc_signing_keys_retired_check CHECK (
        (state IN ('retired', 'removed')) = (retired_at IS NOT NULL AND remove_after IS NOT NULL)
      ),
      CONSTRAINT oidc_signing_keys_removed_check CHECK ((state = 'removed') = (removed_at IS NOT NULL))
    )`.execute(db);
  // At most one key signs, and at most one waits to.
  await sql`CREATE UNIQUE INDEX oidc_signing_keys_one_current ON oidc_signing_keys (state) WHERE state = 'current'`.execute(db);
  await sql`CREATE UNIQUE INDEX oidc_signing_keys_one_next ON oidc_signing_keys (state) WHERE state = 'next'`.execute(db);
}
