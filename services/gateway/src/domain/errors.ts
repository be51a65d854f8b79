import { AppError } from '@emporium/errors';

/**
 * The backend-for-frontend's refusals, each with a stable code (STYLE.md §8). Messages name no
 * token, cookie value or internal address.
 */
export const noSession = () => new AppError('unauthenticated', 'Sign in first: there is no session (GET /auth/login starts one)', 401);

/** The cookie names a session that expired, was logged out, or never existed. */
export const sessionEnded = () => new AppError('session_ended', 'The session has ended; sign in again', 401);

export const csrfFailed = (why: string) => new AppError('csrf_failed', `Cross-site request refused: ${why}`, 403);

export const invalidReturnTo = () =>
  new AppError('invalid_return_to', 'returnTo must be a path on this site, such as /orders (not an absolute URL)', 400);

/** The callback came without a sign-in begun here, or too late, or its state does not match. */
export const loginExpired = () =>
  new AppError('login_expired', 'This sign-in has expired or was not started here; start again at /auth/login', 400);

/** The provider sent the user back with an error, or the code could not be redeemed. */
export const loginFailed = (reason: string) => new AppError('login_failed', `The sign-in did not complete: ${reason}`, 400);

export const invalidLogoutToken = () => new AppError('invalid_logout_token', 'The logout token is not valid', 400);

export const issuerUnavailable = (cause?: unknown) =>
  new AppError('identity_unavailable', 'The identity provider cannot be reached; try again shortly', 503, { cause });

export const issuerRefused = (cause?: unknown) =>
  new AppError('identity_refused', 'The identity provider refused the request', 502, { cause });
