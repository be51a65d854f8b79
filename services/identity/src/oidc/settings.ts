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

/** The provider's settings, checked at start: a wrong value names its variable. */
export interface OidcSettings {
  issuer: string;
  /** Where the provider is mounted in this app: the issuer's path (e.g. `/oidc`). */
  mountPath: string;
  keys: SigningKey[];
  cookieKeys: string[];
  clients: OidcClientConfig[];
  audiences: string[];
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  sessionTtlSeconds: number;
  trustProxy: boolean;
}

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
  return {
    issuer: `${parsed.origin}${mountPath}`,
    mountPath,
    keys: parseKeys(need('IDENTITY_OIDC_JWKS', config.IDENTITY_OIDC_JWKS)),
    cookieKeys,
    clients: parseClients(need('IDENTITY_OIDC_CLIENTS', config.IDENTITY_OIDC_CLIENTS)),
    audiences,
    accessTokenTtlSeconds: config.IDENTITY_OIDC_ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: config.IDENTITY_OIDC_REFRESH_TOKEN_TTL_SECONDS,
    sessionTtlSeconds: config.IDENTITY_OIDC_SESSION_TTL_SECONDS,
    trustProxy: config.IDENTITY_TRUSTED_PROXY_HOPS > 0,
  };
}
