import { defineConfig, int, list, str, url } from '@emporium/config';
import { authConfig, databaseConfig, httpConfig } from '@emporium/service';

/** The identity service's settings, validated at start (`npm run docs:config` prints them as a table). */
export const identityConfig = defineConfig({
  ...httpConfig(3006),
  ...authConfig(),
  ...databaseConfig(),
  // OWASP Password Storage Cheat Sheet: argon2id with m=19 MiB, t=2, p=1 is the minimum it recommends.
  IDENTITY_ARGON2_MEMORY_KIB: int({
    default: 19_456,
    min: 8,
    max: 1_048_576,
    description: 'argon2id memory cost of new password hashes, KiB (lower only in tests)',
  }),
  IDENTITY_ARGON2_TIME_COST: int({ default: 2, min: 1, max: 20, description: 'argon2id passes of new password hashes' }),
  IDENTITY_ARGON2_PARALLELISM: int({ default: 1, min: 1, max: 16, description: 'argon2id lanes of new password hashes' }),
  IDENTITY_LOGIN_WINDOW_SECONDS: int({
    default: 900,
    min: 1,
    max: 86_400,
    description: 'Sliding window in which failed logins are counted for the rate limits',
  }),
  IDENTITY_LOGIN_MAX_FAILURES_PER_ACCOUNT: int({
    default: 5,
    min: 1,
    max: 1_000,
    description: 'Failed logins for one e-mail address within the window before further attempts get 429',
  }),
  IDENTITY_LOGIN_MAX_FAILURES_PER_IP: int({
    default: 20,
    min: 1,
    max: 100_000,
    description: 'Failed logins (and sign-ups of taken e-mails) from one client address within the window before 429',
  }),
  IDENTITY_SESSION_IDLE_TIMEOUT_SECONDS: int({
    default: 1_800,
    min: 1,
    max: 2_592_000,
    description: 'A session unused this long ends (each use slides it, never past the absolute timeout)',
  }),
  IDENTITY_SESSION_ABSOLUTE_TIMEOUT_SECONDS: int({
    default: 43_200,
    min: 1,
    max: 31_536_000,
    description: 'A session ends this long after login however much it is used',
  }),
  IDENTITY_TRUSTED_PROXY_HOPS: int({
    default: 0,
    min: 0,
    max: 5,
    description: 'Proxies in front of this service whose X-Forwarded-For entries are trusted for the client address (1 behind the gateway)',
  }),
  // The OpenID Connect provider (src/oidc): mounted when IDENTITY_ISSUER is set, and then the three
  // secrets below are required (checked at start, see oidcSettingsOf).
  IDENTITY_ISSUER: url({
    optional: true,
    protocols: ['https', 'http'],
    description:
      'Issuer of the OpenID Connect provider: its public URL, whose path is where it is mounted (e.g. https://id.example.com/oidc); unset: no provider',
  }),
  IDENTITY_OIDC_JWKS: str({
    optional: true,
    secret: true,
    description:
      'Private signing keys to import (a JWKS; ES256 on P-256 or EdDSA on Ed25519, each with kid and alg): a key not yet in the database is added, the first becomes current when none is, the others are published as retired; unset: keys are generated',
  }),
  IDENTITY_OIDC_COOKIE_KEYS: list({
    optional: true,
    secret: true,
    description: 'Keys (at least 32 characters each) signing the provider’s cookies; the first signs, the others still verify (rotation)',
  }),
  IDENTITY_OIDC_CLIENTS: str({
    optional: true,
    secret: true,
    description:
      'JSON array of the registered clients: {client_id, client_secret?, grant_types, redirect_uris?, post_logout_redirect_uris?, scope?, first_party?, backchannel_logout_uri?}',
  }),
  IDENTITY_OIDC_AUDIENCES: list({
    default: ['gateway', 'catalog', 'inventory', 'orders', 'payments', 'notifications', 'identity'],
    description: 'Services an access token may be for: the resource indicator urn:emporium:<name> gives a JWT with aud <name>',
  }),
  IDENTITY_OIDC_ACCESS_TOKEN_TTL_SECONDS: int({
    default: 300,
    min: 30,
    max: 3_600,
    description: 'Lifetime of access tokens (JWT, also those of client credentials)',
  }),
  IDENTITY_OIDC_REFRESH_TOKEN_TTL_SECONDS: int({
    default: 1_209_600,
    min: 60,
    max: 31_536_000,
    description:
      'Lifetime of a refresh token and its grant; each use replaces the token with a new one (and it ends with the sign-on session, see README)',
  }),
  IDENTITY_OIDC_SESSION_TTL_SECONDS: int({
    default: 43_200,
    min: 60,
    max: 2_592_000,
    description: 'Lifetime of the single sign-on session at the provider (its cookie)',
  }),
  // Signing keys live in the database (src/oidc/signing-keys.ts): next (published) → current (signs)
  // → retired (published until the last token it signed expired) → removed.
  IDENTITY_OIDC_KEY_ENCRYPTION_KEY: str({
    optional: true,
    secret: true,
    description:
      'AES-256-GCM key encrypting the private signing keys stored in the database: 32 random bytes, base64 or base64url (e.g. `openssl rand -base64 32`); required when IDENTITY_ISSUER is set',
  }),
  IDENTITY_OIDC_KEY_ROTATION_SECONDS: int({
    default: 2_592_000,
    min: 1,
    max: 31_536_000,
    description: 'A scheduled rotation replaces the signing key this long after it began to sign (default 30 days)',
  }),
  IDENTITY_OIDC_KEY_PUBLISH_AHEAD_SECONDS: int({
    default: 660,
    min: 0,
    max: 2_592_000,
    description:
      'A new key is published this long before it may sign: at least the verifiers’ JWKS cache max age (600 s in @emporium/auth) plus IDENTITY_OIDC_KEY_POLL_INTERVAL_MS',
  }),
  IDENTITY_OIDC_KEY_RETENTION_LEEWAY_SECONDS: int({
    default: 300,
    min: 0,
    max: 86_400,
    description: 'A retired key stays published this long beyond the expiry of the last token it can have signed (clock skew)',
  }),
  IDENTITY_OIDC_KEY_POLL_INTERVAL_MS: int({
    default: 5_000,
    min: 50,
    max: 60_000,
    description:
      'How often each replica reads the key set (and rebuilds its provider when it changed) and checks whether a rotation is due',
  }),
  IDENTITY_OIDC_PURGE_INTERVAL_MS: int({
    default: 600_000,
    min: 50,
    max: 86_400_000,
    description: 'How often expired OpenID provider records (sessions, grants, codes, tokens) are deleted',
  }),
  IDENTITY_OIDC_PURGE_GRACE_SECONDS: int({
    default: 3_600,
    min: 0,
    max: 2_592_000,
    description: 'An expired OpenID provider record is deleted only once it has been expired this long',
  }),
  IDENTITY_OIDC_PURGE_BATCH_SIZE: int({
    default: 1_000,
    min: 1,
    max: 50_000,
    description: 'Expired OpenID provider records deleted per transaction',
  }),
});

export type IdentityConfig = typeof identityConfig;
