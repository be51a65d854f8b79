import { type ConfigOf, defineConfig, type Field, int, str, url } from '@emporium/config';
import { authConfig, databaseConfig, httpConfig } from '@emporium/service';

/**
 * AES-256-GCM keys, comma-separated, each 32 random bytes in base64url (`openssl rand -base64 32 |
 * tr '+/' '-_' | tr -d =`). The first encrypts; every one decrypts, so a new key is put first and
 * the old one removed once no session it encrypted can still be alive (the absolute timeout).
 */
const aesKeys = (description: string): Field<Buffer[]> & { secret: true } => ({
  kind: 'aes-keys',
  description,
  secret: true,
  parse(raw) {
    const keys = raw
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean)
      .map((k) => Buffer.from(k, 'base64url'));
    if (keys.length === 0) throw new Error('must name at least one key');
    if (keys.some((k) => k.length !== 32)) throw new Error('every key must be 32 bytes in base64url (256 bits)');
    return keys;
  },
  describeType: () => 'comma-separated base64url 256-bit keys',
});

/** Web origins (`scheme://host[:port]`, no path), comma-separated. */
const origins = (description: string): Field<string[]> => ({
  kind: 'origins',
  description,
  default: [],
  parse(raw) {
    const values = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const value of values) {
      let parsed: URL;
      try {
        parsed = new URL(value);
      } catch {
        throw new Error(`${JSON.stringify(value)} is not an origin`);
      }
      if (!['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== value)
        throw new Error(`${JSON.stringify(value)} must be an origin such as https://shop.example.com (scheme, host, port; no path)`);
    }
    return values;
  },
  describeType: () => 'comma-separated origins',
});

/** The parts of authConfig() the gateway uses: it checks tokens for every upstream's audience, not one of its own. */
const { AUTH_AUDIENCE: _noAudienceOfItsOwn, ...edgeAuthConfig } = authConfig();

/**
 * The gateway's settings: where each upstream service listens and how hard to try reaching it;
 * the backend-for-frontend (sign-in through identity's OpenID provider, sessions in its own
 * database); and the edge's defences (CORS, rate limits, security headers).
 */
export const gatewayConfig = defineConfig({
  ...httpConfig(3000),
  ...databaseConfig(),
  ...edgeAuthConfig,
  CATALOG_URL: url({
    protocols: ['http', 'https'],
    description: 'Base URL of the catalog service (internal address, never shown to clients)',
  }),
  INVENTORY_URL: url({
    protocols: ['http', 'https'],
    optional: true,
    description: 'Base URL of the inventory service; /api/inventory is routed only when set',
  }),
  ORDERS_URL: url({
    protocols: ['http', 'https'],
    optional: true,
    description: 'Base URL of the orders service; /api/orders is routed only when set',
  }),
  PAYMENTS_URL: url({
    protocols: ['http', 'https'],
    optional: true,
    description: 'Base URL of the payments service; /api/payments is routed only when set',
  }),
  NOTIFICATIONS_URL: url({
    protocols: ['http', 'https'],
    optional: true,
    description: 'Base URL of the notifications service; /api/notifications is routed only when set',
  }),
  IDENTITY_URL: url({
    protocols: ['http', 'https'],
    optional: true,
    description: 'Base URL of the identity service; /api/identity and the OpenID provider at /oidc are routed only when set',
  }),
  UPSTREAM_TIMEOUT_MS: int({
    default: 3_000,
    min: 10,
    max: 120_000,
    description: 'Longest wait for one attempt at an upstream service, answer body included',
  }),
  UPSTREAM_DEADLINE_MS: int({
    default: 5_000,
    min: 10,
    max: 300_000,
    description: 'Longest wait for an upstream answer in all, retries and backoff included (then 504 upstream_timeout)',
  }),
  UPSTREAM_RETRY_MAX_ATTEMPTS: int({
    default: 3,
    min: 1,
    max: 10,
    description: 'Attempts per request, the first included; only idempotent requests (or with an Idempotency-Key) are retried',
  }),
  UPSTREAM_RETRY_INITIAL_DELAY_MS: int({ default: 100, min: 1, max: 10_000, description: 'First retry backoff (jittered, growing)' }),
  UPSTREAM_RETRY_MAX_DELAY_MS: int({ default: 1_000, min: 1, max: 60_000, description: 'Longest retry backoff' }),
  UPSTREAM_RETRY_AFTER_MAX_MS: int({
    default: 2_000,
    min: 0,
    max: 60_000,
    description: 'Longest upstream Retry-After honoured by waiting; a longer one is passed to the client as it is',
  }),
  UPSTREAM_BREAKER_FAILURES: int({
    default: 5,
    min: 1,
    max: 1_000,
    description: 'Failed attempts in a row (no connection, timeout, 502/503/504) that open the circuit to an upstream service',
  }),
  UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS: int({
    default: 10_000,
    min: 10,
    max: 600_000,
    description: 'How long an open circuit answers 503 at once before one request probes the upstream again',
  }),
  // The backend-for-frontend: the browser holds a session cookie, never a token.
  BFF_PUBLIC_URL: url({
    protocols: ['http', 'https'],
    default: 'http://localhost:3000',
    description:
      "The gateway's public origin as browsers see it: redirect URIs (<url>/auth/callback, <url>/admin/auth/callback) are built from it, and it is the origin cookie-authenticated writes must come from",
  }),
  BFF_ISSUER_INTERNAL_URL: url({
    protocols: ['http', 'https'],
    optional: true,
    description:
      "Where the gateway itself reaches the issuer (discovery, token, revocation, keys), e.g. http://identity:3006/oidc; default AUTH_ISSUER. Browsers are always sent to AUTH_ISSUER's endpoints",
  }),
  BFF_STOREFRONT_CLIENT_ID: str({ default: 'storefront', description: "The storefront's client id at the issuer" }),
  BFF_STOREFRONT_CLIENT_SECRET: str({ secret: true, minLength: 32, description: "The storefront's client secret at the issuer" }),
  BFF_ADMIN_CLIENT_ID: str({ default: 'admin-console', description: "The admin console's client id at the issuer" }),
  BFF_ADMIN_CLIENT_SECRET: str({ secret: true, minLength: 32, description: "The admin console's client secret at the issuer" }),
  BFF_TOKEN_KEYS: aesKeys(
    'Keys encrypting the refresh, access and ID tokens the gateway stores (AES-256-GCM): comma-separated base64url 32-byte keys; the first encrypts, all decrypt (rotation)',
  ),
  BFF_SESSION_IDLE_TIMEOUT_SECONDS: int({
    default: 1_800,
    min: 1,
    max: 86_400,
    description: 'A browser session unused this long ends (each request slides it, never past the absolute timeout)',
  }),
  BFF_SESSION_ABSOLUTE_TIMEOUT_SECONDS: int({
    default: 43_200,
    min: 1,
    max: 2_592_000,
    description: 'A browser session ends this long after sign-in however much it is used',
  }),
  BFF_LOGIN_TIMEOUT_SECONDS: int({
    default: 600,
    min: 10,
    max: 3_600,
    description: 'How long a sign-in begun at /auth/login may take at the issuer before its callback is refused',
  }),
  GATEWAY_CORS_ALLOWED_ORIGINS: origins(
    'Other web origins allowed to call the gateway from a browser with credentials (CORS), and to send cookie-authenticated writes (with the CSRF token); BFF_PUBLIC_URL is always allowed',
  ),
  GATEWAY_RATE_LIMIT_MAX: int({
    default: 600,
    min: 1,
    max: 10_000_000,
    description: 'Requests one client address may send per window (then 429 rate_limited with Retry-After)',
  }),
  GATEWAY_RATE_LIMIT_AUTH_MAX: int({
    default: 30,
    min: 1,
    max: 1_000_000,
    description: 'Sign-ins (/auth/login and its callback, per app) one client address may start per window',
  }),
  GATEWAY_RATE_LIMIT_WINDOW_SECONDS: int({ default: 60, min: 1, max: 86_400, description: 'The rate limits’ window' }),
  GATEWAY_TRUSTED_PROXY_HOPS: int({
    default: 0,
    min: 0,
    max: 5,
    description: "Proxies in front of the gateway whose X-Forwarded-For entries are trusted for the client's address (rate limits)",
  }),
  GATEWAY_HSTS_MAX_AGE_SECONDS: int({
    default: 31_536_000,
    min: 0,
    max: 63_072_000,
    description: 'Strict-Transport-Security max-age (0 tells browsers to forget it)',
  }),
});

export type GatewayConfig = ConfigOf<typeof gatewayConfig>;
