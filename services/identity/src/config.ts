import { int, defineConfig } from '@emporium/config';
import { databaseConfig, httpConfig } from '@emporium/service';

/** The identity service's settings, validated at start (`npm run docs:config` prints them as a table). */
export const identityConfig = defineConfig({
  ...httpConfig(3006),
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
});

export type IdentityConfig = typeof identityConfig;
