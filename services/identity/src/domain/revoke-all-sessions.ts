import { inTransaction } from '@emporium/db';
import { appendAudit } from '../data-access/audit-repository.js';
import { revokeSessionsOfUser } from '../data-access/sessions-repository.js';
import { AUDIT_ACTIONS, auditEntry } from './audit.js';
import type { Authenticated } from './authenticate-session.js';
import type { Client, IdentityDeps } from './deps.js';

/** "Sign out everywhere": ends every session of the caller, the current one included. */
export async function revokeAllSessions(deps: IdentityDeps, auth: Authenticated, client: Client): Promise<{ revoked: number }> {
  const at = deps.now();
  const revoked = await inTransaction(deps.db, async (trx) => {
    const ids = await revokeSessionsOfUser(trx, auth.user.id, 'revoked_all', at);
    await appendAudit(trx, [
      auditEntry(deps.newId, at, {
        actor: auth.user.id,
        subjectUserId: auth.user.id,
        action: AUDIT_ACTIONS.sessionsRevokedAll,
        details: { revokedSessions: ids.length },
        ip: client.ip,
      }),
    ]);
    return ids.length;
  });
  deps.metrics.sessionsRevoked(revoked);
  return { revoked };
}
