import { authorizeVisible } from '@emporium/auth';
import { inTransaction } from '@emporium/db';
import { appendAudit } from '../data-access/audit-repository.js';
import { findSessionById } from '../data-access/sessions-repository.js';
import { AUDIT_ACTIONS, auditEntry } from './audit.js';
import { auditVia, type Caller, principalOfCaller } from './caller.js';
import type { Client, IdentityDeps } from './deps.js';
import { endSessions, NOTHING_ENDED, type SessionsEnded } from './end-sessions.js';
import { sessionNotFound } from './errors.js';
import { identityPolicy } from '../policy.js';

/**
 * Ends one of the caller's own sessions (the current one too: that is logout), everywhere: a
 * session opened through the OpenID provider takes the provider's session and its clients'
 * grants with it (end-sessions.ts). Another user's session → 404 session_not_found, the same as
 * one that does not exist. Revoking an already ended session of one's own changes nothing and
 * records nothing.
 */
export async function revokeSession(deps: IdentityDeps, caller: Caller, sessionId: string, client: Client): Promise<SessionsEnded> {
  const ability = identityPolicy(principalOfCaller(caller));
  const at = deps.now();
  const ended = await inTransaction(deps.db, async (trx) => {
    const session = await findSessionById(trx, sessionId);
    if (!session) throw sessionNotFound(sessionId);
    authorizeVisible(ability, 'revoke', 'Session', { userId: session.userId }, () => sessionNotFound(sessionId));
    if (session.revokedAt) return NOTHING_ENDED;
    const reason = sessionId === caller.sessionId ? 'logout' : 'revoked_by_user';
    const ended = await endSessions(trx, caller.user.id, reason, at, { only: sessionId });
    await appendAudit(
      trx,
      ended.revoked.map((r) =>
        auditEntry(deps.newId, at, {
          actor: caller.user.id,
          subjectUserId: caller.user.id,
          action: AUDIT_ACTIONS.sessionRevoked,
          details: {
            sessionId: r.id,
            reason,
            ...(r.providerSessionUid ? { singleSignOnEnded: true, grantsRevoked: ended.grantsRevoked } : {}),
            ...auditVia(caller),
          },
          ip: client.ip,
        }),
      ),
    );
    return ended;
  });
  deps.metrics.sessionsRevoked(ended.revoked.length);
  return ended;
}
