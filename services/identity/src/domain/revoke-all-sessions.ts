import { inTransaction } from '@emporium/db';
import { appendAudit } from '../data-access/audit-repository.js';
import { AUDIT_ACTIONS, auditEntry } from './audit.js';
import { auditVia, type Caller } from './caller.js';
import type { Client, IdentityDeps } from './deps.js';
import { endSessions, type SessionsEnded } from './end-sessions.js';

/**
 * "Sign out everywhere": ends every session of the caller, the current one included, with every
 * session at the OpenID provider and every grant (refresh tokens, offline ones too) of the account.
 */
export async function revokeAllSessions(
  deps: IdentityDeps,
  caller: Caller,
  client: Client,
): Promise<{ revoked: number; ended: SessionsEnded }> {
  const at = deps.now();
  const ended = await inTransaction(deps.db, async (trx) => {
    const ended = await endSessions(trx, caller.user.id, 'revoked_all', at, { except: null });
    await appendAudit(trx, [
      auditEntry(deps.newId, at, {
        actor: caller.user.id,
        subjectUserId: caller.user.id,
        action: AUDIT_ACTIONS.sessionsRevokedAll,
        details: {
          revokedSessions: ended.revoked.length,
          singleSignOnSessions: ended.providerSessions.length,
          grantsRevoked: ended.grantsRevoked,
          ...auditVia(caller),
        },
        ip: client.ip,
      }),
    ]);
    return ended;
  });
  deps.metrics.sessionsRevoked(ended.revoked.length);
  return { revoked: ended.revoked.length, ended };
}
