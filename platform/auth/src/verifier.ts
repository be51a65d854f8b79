import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type FlattenedJWSInput,
  jwtVerify,
  type CryptoKey,
  jwksCache,
  type JWKSCacheInput,
} from 'jose';
import { identityUnavailable, invalidToken, type TokenRejection } from './errors.js';
import { type Principal, principalFromClaims } from './principal.js';

/** Asymmetric algorithms only: `none` and the HMAC family can never be configured (RFC 8725 §3.1). */
export const ALLOWED_ALGORITHMS = ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'PS256', 'RS256'] as const;
export type Algorithm = (typeof ALLOWED_ALGORITHMS)[number];

export interface TokenVerifierOptions {
  /** Exact `iss` expected, e.g. `https://identity.emporium.dev`. */
  issuer: string;
  /** This service's resource indicator; `aud` must contain it (RFC 9068 §4). */
  audience: string;
  /** The issuer's JWKS (`jwks_uri`). Give this or `jwks`. */
  jwksUrl?: string | URL;
  /** A fixed key set, for tests and tools. */
  jwks?: JSONWebKeySet;
  algorithms?: Algorithm[];
  clockToleranceSec?: number;
  /** Refuses tokens issued longer ago than this, whatever their `exp` says. */
  maxTokenAgeSec?: number;
  /** An unknown kid refetches the JWKS at most once per this interval. */
  jwksCooldownMs?: number;
  /** The JWKS is refetched when older than this. The issuer publishes a key at least this long before signing with it. */
  jwksCacheMaxAgeMs?: number;
  jwksTimeoutMs?: number;
  /** While the issuer cannot be reached, keys fetched up to this long ago are still used. */
  jwksStaleIfErrorMs?: number;
  /** The clock, for tests. */
  now?: () => Date;
}

export interface TokenVerifier {
  /** The principal of a valid access token; otherwise throws 401 `invalid_token` (or 503 `identity_unavailable`). */
  verify(token: string): Promise<Principal>;
  /** Refetches the JWKS now (after the issuer removed a key, or at start to warm the cache). */
  refreshKeys(): Promise<void>;
}

type KeyGetter = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

/** RFC 9068 §2.2: the claims every JWT access token has. `iss`, `aud` and `exp` are checked by the options. */
const REQUIRED_CLAIMS = ['sub', 'client_id', 'iat', 'jti', 'exp'];
/** Claims only an ID token carries (OpenID Connect Core §2, §3.3.2.11). */
const ID_TOKEN_CLAIMS = ['nonce', 'at_hash', 'c_hash', 'auth_time', 'azp'] as const;

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const algorithms = options.algorithms ?? ['ES256', 'EdDSA'];
  for (const alg of algorithms) {
    if (!(ALLOWED_ALGORITHMS as readonly string[]).includes(alg))
      throw new TypeError(`The algorithm ${alg} is not allowed for access tokens`);
  }
  if (algorithms.length === 0) throw new TypeError('At least one algorithm must be allowed');
  if (!options.issuer || !options.audience) throw new TypeError('issuer and audience are required');
  if ((options.jwksUrl === undefined) === (options.jwks === undefined)) throw new TypeError('Give exactly one of jwksUrl and jwks');

  const keys = options.jwks ? localKeys(options.jwks) : remoteKeys(new URL(options.jwksUrl!), options);
  const verifyOptions = {
    issuer: options.issuer,
    audience: options.audience,
    algorithms,
    typ: 'at+jwt',
    clockTolerance: options.clockToleranceSec ?? 5,
    maxTokenAge: options.maxTokenAgeSec ?? 3600,
    requiredClaims: REQUIRED_CLAIMS,
  };

  return {
    async verify(token) {
      // Cheap header checks first, so a forged token never reaches the key set (no JWKS fetch for alg none).
      let header: JWSHeaderParameters;
      try {
        header = decodeProtectedHeader(token) as JWSHeaderParameters;
      } catch {
        throw invalidToken('malformed');
      }
      if (typeof header.alg !== 'string' || !(algorithms as string[]).includes(header.alg)) throw invalidToken('alg_not_allowed');
      if (typeof header.typ !== 'string' || normalizeTyp(header.typ) !== 'at+jwt') throw invalidToken('wrong_typ'); // RFC 9068 §4
      if (typeof header.kid !== 'string' || header.kid.length === 0) throw invalidToken('missing_kid');

      let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
      try {
        ({ payload } = await jwtVerify(token, keys.get, options.now ? { ...verifyOptions, currentDate: options.now() } : verifyOptions));
      } catch (error) {
        throw toAuthError(error);
      }
      if (ID_TOKEN_CLAIMS.some((claim) => claim in payload)) throw invalidToken('id_token');
      if (typeof payload.sub !== 'string' || typeof payload.client_id !== 'string') throw invalidToken('missing_claim');
      return principalFromClaims(payload);
    },
    refreshKeys: keys.refresh,
  };
}

function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

/** Raised by the key source when the issuer cannot be reached; maps to 503, not 401. */
class KeysUnavailable extends Error {}

function localKeys(jwks: JSONWebKeySet): { get: KeyGetter; refresh: () => Promise<void> } {
  const get = createLocalJWKSet(jwks);
  return { get: (header, token) => get(header, token), refresh: async () => {} };
}

/**
 * jose's remote key set: fetched on first use, refetched when older than the cache max age, and on
 * a kid it does not know when the last fetch is older than the cooldown (concurrent refetches are
 * shared). Added here: when the issuer cannot be reached, the last keys fetched keep working for
 * `jwksStaleIfErrorMs`, so an identity outage does not log everybody out.
 */
function remoteKeys(url: URL, options: TokenVerifierOptions): { get: KeyGetter; refresh: () => Promise<void> } {
  // jose records the time of each successful fetch (`uat`) in this object.
  const cache: { uat?: number } = {};
  const remote = createRemoteJWKSet(url, {
    cooldownDuration: options.jwksCooldownMs ?? 30_000,
    cacheMaxAge: options.jwksCacheMaxAgeMs ?? 600_000,
    timeoutDuration: options.jwksTimeoutMs ?? 2_000,
    [jwksCache]: cache as JWKSCacheInput,
  });
  const staleIfErrorMs = options.jwksStaleIfErrorMs ?? 3_600_000;

  async function get(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> {
    try {
      return await remote(header, token);
    } catch (error) {
      if (isKeyMismatch(error)) throw error;
      const cached = remote.jwks();
      const fetchedAt = cache.uat ?? Number.NEGATIVE_INFINITY;
      if (!cached || Date.now() - fetchedAt >= staleIfErrorMs) throw new KeysUnavailable('The JWKS cannot be fetched', { cause: error });
      try {
        return await createLocalJWKSet(cached)(header, token);
      } catch (localError) {
        // The kid may be one the issuer published while we could not reach it: retry later, not re-authenticate.
        if (localError instanceof errors.JWKSNoMatchingKey) throw new KeysUnavailable('The JWKS cannot be fetched', { cause: error });
        throw localError;
      }
    }
  }
  async function refresh(): Promise<void> {
    try {
      await remote.reload();
    } catch (cause) {
      throw identityUnavailable(cause);
    }
  }
  return { get, refresh };
}

/** Errors about the token's key rather than about reaching the issuer. */
function isKeyMismatch(error: unknown): boolean {
  return (
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys ||
    error instanceof errors.JOSENotSupported ||
    error instanceof errors.JWKInvalid ||
    error instanceof errors.JOSEAlgNotAllowed
  );
}

const CLAIM_REJECTIONS: Record<string, TokenRejection> = {
  iss: 'wrong_issuer',
  aud: 'wrong_audience',
  nbf: 'not_yet_valid',
  iat: 'not_yet_valid',
  typ: 'wrong_typ',
};

function toAuthError(error: unknown): Error {
  if (error instanceof KeysUnavailable) return identityUnavailable(error.cause);
  if (error instanceof errors.JWTExpired) return invalidToken('expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return invalidToken('missing_claim');
    return invalidToken(CLAIM_REJECTIONS[error.claim] ?? 'missing_claim');
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return invalidToken('bad_signature');
  if (error instanceof errors.JWKSNoMatchingKey) return invalidToken('unknown_kid');
  if (error instanceof errors.JOSEAlgNotAllowed) return invalidToken('alg_not_allowed');
  if (error instanceof errors.JOSEError) return invalidToken('malformed');
  // Not a token problem: a bug here must surface as a 500, not hide behind a 401.
  return error instanceof Error ? error : new Error(String(error));
}
