import { csrfFailed } from './errors.js';
import { type BffSession, sameSecret } from './session.js';

/** Methods that change something: a cookie-authenticated one must prove it comes from our pages. */
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export const isUnsafeMethod = (method: string) => UNSAFE.has(method.toUpperCase());

export interface WriteRequest {
  method: string;
  origin: string | undefined;
  referer: string | undefined;
  csrfToken: string | undefined;
}

function originOf(request: WriteRequest): string | undefined {
  // A browser sends Origin on every cross-origin request and on same-origin POSTs; Referer is the fallback (OWASP CSRF cheat sheet).
  if (request.origin !== undefined && request.origin !== 'null') return request.origin;
  if (request.referer === undefined) return undefined;
  try {
    return new URL(request.referer).origin;
  } catch {
    return undefined;
  }
}

/**
 * CSRF defence for a cookie-authenticated write, two checks that must both pass (OWASP: synchronizer
 * token plus origin verification): the session's token in `X-CSRF-Token` (read by our pages from
 * GET /auth/session; another site cannot read it), and an Origin (or Referer) in the allow-list.
 * SameSite=Lax on the cookie is the third layer. Reads and bearer-authenticated calls are not checked.
 */
export function checkCsrf(session: BffSession, request: WriteRequest, allowedOrigins: ReadonlySet<string>): void {
  if (!isUnsafeMethod(request.method)) return;
  const origin = originOf(request);
  if (origin === undefined) throw csrfFailed('the request names no Origin');
  if (!allowedOrigins.has(origin)) throw csrfFailed('the request comes from an origin that is not allowed');
  if (request.csrfToken === undefined || request.csrfToken === '') throw csrfFailed('the X-CSRF-Token header is missing');
  if (!sameSecret(request.csrfToken, session.csrfToken)) throw csrfFailed('the X-CSRF-Token header is wrong');
}
