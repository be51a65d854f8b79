/**
 * The two browser apps the gateway signs users in for, each an OAuth client of its own at the
 * issuer (separate grants, separate sessions): the storefront at `/`, the admin console under
 * `/admin`. Both are served on the gateway's origin, so each has its own `__Host-` cookie (the
 * prefix demands Path=/) and calls the API under its own prefix: `/api/*` (storefront) and
 * `/admin/api/*` (admin console).
 */
export type AppKey = 'storefront' | 'admin';

export interface BffApp {
  key: AppKey;
  clientId: string;
  /** '' or '/admin': the app's routes are `<basePath>/auth/*` and `<basePath>/api/*`. */
  basePath: '' | '/admin';
  /** The session cookie: `__Host-` (Secure, Path=/, no Domain), HttpOnly, SameSite=Lax. */
  sessionCookie: string;
  /** The short-lived cookie of a sign-in in progress (never a session). */
  loginCookie: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  /** Where a sign-in without returnTo lands. */
  home: string;
}

export function appsOf(publicUrl: string, clientIds: Record<AppKey, string>): Record<AppKey, BffApp> {
  const base = publicUrl.replace(/\/+$/, '');
  const app = (key: AppKey, basePath: '' | '/admin', suffix: string): BffApp => ({
    key,
    clientId: clientIds[key],
    basePath,
    sessionCookie: `__Host-emporium${suffix}`,
    loginCookie: `__Host-emporium${suffix}-login`,
    redirectUri: `${base}${basePath}/auth/callback`,
    postLogoutRedirectUri: `${base}${basePath}/`,
    home: `${basePath}/`,
  });
  return { storefront: app('storefront', '', ''), admin: app('admin', '/admin', '-admin') };
}
