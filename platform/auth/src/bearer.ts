import { invalidToken, unauthenticated } from './errors.js';

/** RFC 6750 §2.1 b64token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * The token of an `Authorization: Bearer <token>` header. No header, or another scheme → 401
 * `unauthenticated` (no error code, RFC 6750 §3.1); a Bearer header whose token is not a
 * b64token → 401 `invalid_token`. Tokens in the query string or the body are not accepted.
 */
export function bearerTokenOf(authorization: string | string[] | undefined): string {
  if (typeof authorization !== 'string') throw unauthenticated();
  const match = /^Bearer +(.*)$/i.exec(authorization.trim());
  if (!match) throw unauthenticated();
  const token = match[1]!.trim();
  if (!B64TOKEN.test(token)) throw invalidToken('malformed');
  return token;
}
