import { AppError } from '@emporium/errors';

/**
 * Why a token was refused. For logs and metrics only: the client sees `invalid_token` and nothing
 * more (RFC 6750 §3.1), so a probe learns little. Never the token, never claim values.
 */
export type TokenRejection =
  | 'malformed'
  | 'alg_not_allowed'
  | 'wrong_typ'
  | 'missing_kid'
  | 'unknown_kid'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'missing_claim'
  | 'id_token';

/**
 * An AppError that also names the response headers it needs. The problem handler copies
 * `headers` onto the reply (RFC 6750 §3: a 401/403 from a protected resource carries
 * WWW-Authenticate).
 */
export class AuthError extends AppError {
  readonly headers: Readonly<Record<string, string>>;
  /** Set on `invalid_token`: which check failed (logs and metrics only). */
  readonly reason: TokenRejection | undefined;

  constructor(
    code: string,
    message: string,
    status: number,
    options: { headers?: Record<string, string>; reason?: TokenRejection; cause?: unknown } = {},
  ) {
    super(code, message, status, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'AuthError';
    this.headers = Object.freeze({ ...options.headers });
    this.reason = options.reason;
  }
}

export const REALM = 'emporium';

/** No credentials at all: RFC 6750 §3.1 says to send no error code then. */
export function unauthenticated(): AuthError {
  return new AuthError('unauthenticated', 'This action needs a bearer access token', 401, {
    headers: { 'www-authenticate': `Bearer realm="${REALM}"` },
  });
}

const MESSAGES: Record<TokenRejection, string> = {
  malformed: 'The access token is not valid',
  alg_not_allowed: 'The access token is not valid',
  wrong_typ: 'The token is not an access token',
  missing_kid: 'The access token is not valid',
  unknown_kid: 'The access token is not valid',
  bad_signature: 'The access token is not valid',
  expired: 'The access token has expired',
  not_yet_valid: 'The access token is not valid yet',
  wrong_issuer: 'The access token is not valid',
  wrong_audience: 'The access token is not meant for this service',
  missing_claim: 'The access token is not valid',
  id_token: 'The token is not an access token',
};

export function invalidToken(reason: TokenRejection): AuthError {
  return new AuthError('invalid_token', MESSAGES[reason], 401, {
    reason,
    headers: { 'www-authenticate': `Bearer realm="${REALM}", error="invalid_token"` },
  });
}

/** The issuer's key set cannot be fetched and no usable copy is cached: retry later, do not re-authenticate. */
export function identityUnavailable(cause: unknown): AuthError {
  return new AuthError('identity_unavailable', 'The identity service cannot be reached to check the access token', 503, { cause });
}

/** A valid caller that the policy does not allow to do this. */
export function forbidden(message = 'The caller is not allowed to do this'): AuthError {
  return new AuthError('forbidden', message, 403);
}

/** A valid token lacking a scope the endpoint needs (RFC 6750 §3.1). */
export function insufficientScope(scope: string): AuthError {
  return new AuthError('insufficient_scope', `This action needs the scope ${scope}`, 403, {
    headers: { 'www-authenticate': `Bearer realm="${REALM}", error="insufficient_scope", scope="${scope}"` },
  });
}
