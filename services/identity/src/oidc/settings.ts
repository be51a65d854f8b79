import { createPrivateKey, type JsonWebKey } from 'node:crypto';
import { ConfigError } from '@emporium/config';
import type { IdentityConfig } from '../config.js';
import type { ConfigOf } from '@emporium/config';

export type SigningAlg = 'ES256' | 'EdDSA';

export interface SigningKey extends JsonWebKey {
  kid: string;
  alg: SigningAlg;
}

export interface OidcClientConfig {
  client_id: string;
  client_secret?: string;
  grant_types: ('authorization_code' | 'refresh_token' | 'client_credentials')[];
  redirect_uris?: string[];
  post_logout_redirect_uris?: string[];
  /** Scopes the client may ask for beyond openid/offline_access (e.g. `payments:capture`). */
  scope?: string;
  /** Our own apps (storefront, admin console): consent is given without asking the user. */
  first_party?: boolean;
  backchannel_logout_uri?: string;
}

/** How long a signing key waits, signs and stays published (src/oidc/signing-keys.ts). */
export interface KeyLifetimes {
  /** A `next` key is published at least this long before it may sign. */
  publishAheadSeconds: number;
  /** A scheduled rotation happens this long after the current key began to sign. */
  rotationSeconds: number;
  /** A retired key stays published this long: the longest token lifetime, the replicas' poll and a leeway. */
  retentionSeconds: number;
}

/** The provider's settings, checked at start: a wrong value names its variable. */
export interface OidcSettings {
  issuer: string;
  /** Where the provider is mounted in this app: the issuer's path (e.g. `/oidc`). */
  mountPath: string;
  /** Keys to import into the key table (IDENTITY_OIDC_JWKS, optional): the first signs when no key does yet. */
  keys: SigningKey[];
  /** AES-256-GCM key of the private keys at rest. */
  keyEncryptionKey: Buffer;
  keyLifetimes: KeyLifetimes;
  /** How often each replica reads the key set and rebuilds its provider on a change. */
  keyPollIntervalMs: number;
  cookieKeys: string[];
  clients: OidcClientConfig[];
  audiences: string[];
  accessTokenTtlSeconds: number;
  /** ID tokens, and the logout tokens of back-channel logout. */
  idTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  sessionTtlSeconds: number;
  trustProxy: boolean;
}

/** Lifetime of ID tokens (and logout tokens): the longest-lived tokens a signing key signs. */
export const ID_TOKEN_TTL_SECONDS = 3_600;

/** Resource indicator (RFC 8707) of a service; the token's `aud` is the service's name. */
export const resourceOf = (audience: string) => `urn:emporium:${audience}`;

const GRANTS = new Set(['authorization_code', 'refresh_token', 'client_credentials']);
const CLIENT_KEYS = new Set([
  'client_id',
  'client_secret',
  'grant_types',
  'redirect_uris',
  'post_logout_redirect_uris',
  'scope',
  'first_party',
  'backchannel_logout_uri',
]);
const SCOPE_TOKEN = /^[a-z][a-z0-9_-]*:[a-z][a-z0-9_-]*$/;

function parseJson(variable: string, raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    // The value is a secret: never echo it.
    throw new ConfigError(variable, 'must be valid JSON');
  }
}

function parseKeys(raw: string): SigningKey[] {
  const V = 'IDENTITY_OIDC_JWKS';
  const jwks = parseJson(V, raw) as { keys?: unknown };
  if (!Array.isArray(jwks?.keys) || jwks.keys.length === 0) throw new ConfigError(V, 'must be a JWKS with at least one key');
  const kids = new Set<string>();
  return jwks.keys.map((key: SigningKey, i: number) => {
    if (typeof key.kid !== 'string' || key.kid.length === 0) throw new ConfigError(V, `key ${i} has no kid`);
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(key.kid)) throw new ConfigError(V, `key ${i}: a kid has 1 to 128 letters, digits, _ or -`);
    if (kids.has(key.kid)) throw new ConfigError(V, `kid ${key.kid} appears twice`);
    kids.add(key.kid);
    const okAlg =
      (key.alg === 'ES256' && key.kty === 'EC' && key.crv === 'P-256') ||
      (key.alg === 'EdDSA' && key.kty === 'OKP' && key.crv === 'Ed25519');
    if (!okAlg) throw new ConfigError(V, `key ${key.kid} must be ES256 (EC P-256) or EdDSA (OKP Ed25519) with its alg set`);
    try {
      createPrivateKey({ key, format: 'jwk' });
    } catch {
      throw new ConfigError(V, `key ${key.kid} is not a private key`);
    }
    return key;
  });
}

/** IDENTITY_OIDC_KEY_ENCRYPTION_KEY: exactly 32 bytes, base64 or base64url. */
export function parseKeyEncryptionKey(raw: string | undefined): Buffer {
  const V = 'IDENTITY_OIDC_KEY_ENCRYPTION_KEY';
  if (raw === undefined)
    throw new ConfigError(V, 'is required when IDENTITY_ISSUER is set (32 random bytes, base64: openssl rand -base64 32)');
  const trimmed = raw.trim();
  const key = Buffer.from(trimmed, 'base64');
  // The value is a secret: never echo it.
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) || key.length !== 32) throw new ConfigError(V, 'must be 32 bytes in base64 or base64url');
  return key;
}

/** The key lifecycle's durations, from the settings that bound them (also read by the rotate-keys command). */
export function keyLifetimesOf(config: {
  IDENTITY_OIDC_KEY_PUBLISH_AHEAD_SECONDS: number;
  IDENTITY_OIDC_KEY_ROTATION_SECONDS: number;
  IDENTITY_OIDC_KEY_RETENTION_LEEWAY_SECONDS: number;
  IDENTITY_OIDC_KEY_POLL_INTERVAL_MS: number;
  IDENTITY_OIDC_ACCESS_TOKEN_TTL_SECONDS: number;
}): KeyLifetimes {
  // A replica that has not yet seen a rotation still signs with the retired key for up to one poll:
  // its tokens, too, must verify until they expire.
  const retentionSeconds =
    Math.max(config.IDENTITY_OIDC_ACCESS_TOKEN_TTL_SECONDS, ID_TOKEN_TTL_SECONDS) +
    Math.ceil(config.IDENTITY_OIDC_KEY_POLL_INTERVAL_MS / 1000) +
    config.IDENTITY_OIDC_KEY_RETENTION_LEEWAY_SECONDS;
  return {
    publishAheadSeconds: config.IDENTITY_OIDC_KEY_PUBLISH_AHEAD_SECONDS,
    rotationSeconds: config.IDENTITY_OIDC_KEY_ROTATION_SECONDS,
    retentionSeconds,
  };
}

function parseClients(raw: string): OidcClientConfig[] {
  const V = 'IDENTITY_OIDC_CLIENTS';
  const clients = parseJson(V, raw);
  if (!Array.isArray(clients) || clients.length === 0) throw new ConfigError(V, 'must be a JSON array of clients');
  const ids = new Set<string>();
  for (const [i, c] of clients.entries()) {
    const name = typeof c?.client_id === 'string' && c.client_id ? c.client_id : `#${i}`;
    const bad = (why: string) => new ConfigError(V, `client ${name}: ${why}`);
    if (typeof c !== 'object' || c === null || name.startsWith('#')) throw bad('needs a client_id');
    for (const k of Object.keys(c)) if (!CLIENT_KEYS.has(k)) throw bad(`unknown property ${k}`);
    if (ids.has(name)) throw bad('appears twice');
    ids.add(name);
    if (!Array.isArray(c.grant_types) || c.grant_types.length === 0 || c.grant_types.some((g: string) => !GRANTS.has(g)))
      throw bad('grant_types must be some of authorization_code, refresh_token, client_credentials');
    if (c.client_secret !== undefined && (typeof c.client_secret !== 'string' || c.client_secret.length < 32))
      throw bad('client_secret must have at least 32 characters');
    if (c.grant_types.includes('client_credentials') && !c.client_secret) throw bad('client_credentials needs a client_secret');
    if (c.grant_types.includes('authorization_code') && (!Array.isArray(c.redirect_uris) || c.redirect_uris.length === 0))
      throw bad('authorization_code needs redirect_uris');
    if (c.scope !== undefined && (typeof c.scope !== 'string' || c.scope.split(' ').some((s: string) => !SCOPE_TOKEN.test(s))))
      throw bad('scope must be space-separated <service>:<operation> names');
  }
  return clients as OidcClientConfig[];
}

/** The provider's settings, or undefined when IDENTITY_ISSUER is unset (no provider mounted). */
export function oidcSettingsOf(config: ConfigOf<IdentityConfig>): OidcSettings | undefined {
  const issuer = config.IDENTITY_ISSUER;
  if (issuer === undefined) return undefined;
  const parsed = new URL(issuer);
  const mountPath = parsed.pathname.replace(/\/$/, '');
  if (!/^(\/[a-z0-9-]+)+$/.test(mountPath) || mountPath.startsWith('/api/') || parsed.search || parsed.hash)
    throw new ConfigError('IDENTITY_ISSUER', 'must have a path of its own (e.g. /oidc), no query and no fragment');
  const need = <T>(name: string, value: T | undefined): T => {
    if (value === undefined) throw new ConfigError(name, 'is required when IDENTITY_ISSUER is set');
    return value;
  };
  const cookieKeys = need('IDENTITY_OIDC_COOKIE_KEYS', config.IDENTITY_OIDC_COOKIE_KEYS);
  if (cookieKeys.length === 0 || cookieKeys.some((k) => k.length < 32))
    throw new ConfigError('IDENTITY_OIDC_COOKIE_KEYS', 'every key must have at least 32 characters');
  const audiences = config.IDENTITY_OIDC_AUDIENCES;
  if (audiences.some((a) => !/^[a-z][a-z0-9-]*$/.test(a))) throw new ConfigError('IDENTITY_OIDC_AUDIENCES', 'must be service names');
  const keys = config.IDENTITY_OIDC_JWKS === undefined ? [] : parseKeys(config.IDENTITY_OIDC_JWKS);
  const clients = parseClients(need('IDENTITY_OIDC_CLIENTS', config.IDENTITY_OIDC_CLIENTS));
  return {
    issuer: `${parsed.origin}${mountPath}`,
    mountPath,
    keys,
    keyEncryptionKey: parseKeyEncryptionKey(config.IDENTITY_OIDC_KEY_ENCRYPTION_KEY),
    keyLifetimes: keyLifetimesOf(config),
    keyPollIntervalMs: config.IDENTITY_OIDC_KEY_POLL_INTERVAL_MS,
    cookieKeys,
    clients,
    audiences,
    accessTokenTtlSeconds: config.IDENTITY_OIDC_ACCESS_TOKEN_TTL_SECONDS,
    idTokenTtlSeconds: ID_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: config.IDENTITY_OIDC_REFRESH_TOKEN_TTL_SECONDS,
    sessionTtlSeconds: config.IDENTITY_OIDC_SESSION_TTL_SECONDS,
    trustProxy: config.IDENTITY_TRUSTED_PROXY_HOPS > 0,
  };
}
