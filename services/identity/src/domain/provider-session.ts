import { inTransaction } from '@emporium/db';
import { appendAudit } from '../data-access/audit-repository.js';
import {
  linkSessionToProviderSession,
  revokeSessionsOfProviderSession,
  touchSessionsOfProviderSession,
} from '../data-access/sessions-repository.js';
import { AUDIT_ACTIONS, auditEntry } from './audit.js';
import type { IdentityDeps } from './deps.js';

/**
 * The tie between our sessions and the OpenID provider's. A login on the provider's page opens
 * one of our sessions (login.ts); when the provider's session begins (the interaction resumes), it
 * is tied to it by the provider session's `uid`, which stays the same for its whole life. From
 * then on:
 * - the provider asks `providerSessionIsLive` before it issues tokens bound to the session (code
 *   redemption, refresh) and before single sign-on at another client, so our session's end,
 *   expiry or the user's suspension refuses them at once, and its use slides our idle expiry;
 * - ending our session ends the provider's (end-sessions.ts), and the provider's logout ends ours
 *   (`endSessionsOfProviderLogout`).
 */

/** The key under which a login's interaction result carries the id of the session it opened (not its secret). */
export const LOGIN_SESSION = 'emporiumSessionId';

/** Ties our session to the provider's; false when ours ended before (the sign-in must not complete). */
export function linkProviderSession(
  deps: Pick<IdentityDeps, 'db' | 'now'>,
  link: { sessionId: string; userId: string; uid: string },
): Promise<boolean> {
  return linkSessionToProviderSession(deps.db, link, deps.now());
}

/** Whether a live session of ours stands for this provider session; a use slides its idle expiry. */
export function providerSessionIsLive(deps: Pick<IdentityDeps, 'db' | 'now' | 'settings'>, uid: string): Promise<boolean> {
  return touchSessionsOfProviderSession(deps.db, uid, deps.now(), deps.settings.sessionIdleSeconds);
}

/**
 * The provider's own logout (RP-initiated, /oidc/session/end) destroyed its session: our sessions
 * standing for it end too, each with its audit entry (actor: the user, who logged out). The
 * provider has already revoked its grants; this runs right after its commit (its storage is not
 * in our transactions), and a crash in between leaves our row to idle out — no token can be
 * issued for it any more, since the provider session it would need is gone.
 */
export async function endSessionsOfProviderLogout(deps: IdentityDeps, uid: string): Promise<number> {
  const at = deps.now();
  const ended = await inTransaction(deps.db, async (trx) => {
    const rows = await revokeSessionsOfProviderSession(trx, uid, 'logout', at);
    await appendAudit(
      trx,
      rows.map((r) =>
        auditEntry(deps.newId, at, {
          actor: r.userId,
          subjectUserId: r.userId,
          action: AUDIT_ACTIONS.sessionRevoked,
          details: { sessionId: r.id, reason: 'logout', via: 'oidc' },
          ip: null,
        }),
      ),
    );
    return rows.length;
  });
  deps.metrics.sessionsRevoked(ended);
  return ended;
}
