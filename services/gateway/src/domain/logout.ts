import { deleteSession, deleteSessionsOf } from '../data-access/sessions-repository.js';
import type { BffApp } from './app.js';
import type { BffDeps } from './deps.js';
import type { BffSession } from './session.js';
import { tokenContext } from './session.js';

/**
 * POST <app>/auth/logout: ends the session here, revokes its refresh token at the issuer (which
 * revokes the grant), and answers the provider's end-session URL (id_token_hint,
 * post_logout_redirect_uri) for the browser to visit: there the single sign-on session ends, and
 * the provider's back-channel logout ends this user's sessions of the other apps.
 */
export async function logout(
  deps: BffDeps,
  app: BffApp,
  session: BffSession,
  onRevokeFailure: (error: unknown) => void,
): Promise<{ endSessionUrl: string | undefined }> {
  const gone = await deleteSession(deps.db, session.id);
  if (!gone) return { endSessionUrl: undefined };
  deps.metrics.sessionsEnded('logout', 1);
  const refreshToken = gone.refreshToken && deps.cipher.open(gone.refreshToken, tokenContext.refresh(session.id));
  // The session has ended whatever the issuer says; an unrevoked token dies with its grant's TTL or the provider session.
  if (refreshToken) await deps.issuer.revoke(app, refreshToken).catch(onRevokeFailure);
  const idToken = deps.cipher.open(gone.idToken, tokenContext.id(session.id));
  return { endSessionUrl: idToken ? await deps.issuer.endSessionUrl(app, idToken) : undefined };
}

/**
 * POST <app>/auth/backchannel-logout (OpenID Connect Back-Channel Logout 1.0): the provider says a
 * user's session there ended. The logout token is verified (issuer's key, iss, aud = this app's
 * client id, typ logout+jwt, the logout event, sid or sub, no nonce), then every session of this
 * app for that provider session (sid) or user (sub) ends.
 */
export async function backchannelLogout(deps: BffDeps, app: BffApp, logoutToken: string): Promise<number> {
  const who = await deps.issuer.verifyLogoutToken(app, logoutToken);
  const ended = await deleteSessionsOf(deps.db, app.key, who);
  deps.metrics.sessionsEnded('backchannel', ended);
  return ended;
}
