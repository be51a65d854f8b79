import { inTransaction } from '@emporium/db';
import { appendAudit } from '../data-access/audit-repository.js';
import { findSessionOfUser, revokeSessionsOfUser } from '../data-access/sessions-repository.js';
import { AUDIT_ACTIONS, auditEntry } from './audit.js';
import type { Authenticated } from './authenticate-session.js';
import type { Client, IdentityDeps } from './deps.js';
import { sessionNotFound } from './errors.js';

/**
 * Ends one of the caller's own sessions (the current one too: that is logout). Another user's
 * session → 404 session_not_found, the same as one that does not exist. Revoking an already
 * ended session of one's own changes nothing and records nothing.
 */
export async function revokeSession(deps: IdentityDeps, auth: Authenticated, sessionId: string, client: Client): Promise<void> {
  const at = deps.now();
  const revoked = await inTransaction(deps.db, async (trx) => {
    if (!(await findSessionOfUser(trx, auth.user.id, sessionId))) throw sessionNotFound(sessionId);
    const reason = sessionId === auth.session.id ? 'logout' : 'revoked_by_user';
    const ids = await revokeSessionsOfUser(trx, auth.user.id, reason, at, { only: sessionId });
    if (ids.length)
      await appendAudit(trx, [
        auditEntry(deps.newId, at, {
          actor: auth.user.id,
          subjectUserId: auth.user.id,
          action: AUDIT_ACTIONS.sessionRevoked,
          details: { sessionId, reason },
          ip: client.ip,
        }),
      ]);
    return ids.length;
  });
  deps.metrics.sessionsRevoked(revoked);
}
