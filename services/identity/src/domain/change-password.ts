import { inTransaction } from '@emporium/db';
import { appendAudit } from '../data-access/audit-repository.js';
import { deleteFailure } from '../data-access/login-failures-repository.js';
import { lockUserForUpdate, savePasswordHash } from '../data-access/users-repository.js';
import { AUDIT_ACTIONS, type AuditAction, auditEntry } from './audit.js';
import { auditVia, type Caller } from './caller.js';
import type { Client, IdentityDeps } from './deps.js';
import { endSessions, type SessionsEnded } from './end-sessions.js';
import { currentPasswordInvalid, unauthenticated, weakPassword } from './errors.js';
import { reserveAttempt } from './login-limits.js';
import { passwordWeaknesses } from './password-policy.js';
import { emailKey } from './user.js';

/**
 * Changes the caller's password and, in the same transaction, ends every other session of theirs
 * everywhere: the provider's sessions and every grant of the account go too (end-sessions.ts).
 * The session the request came with stays; a caller with an access token names no session of
 * ours, so every session ends (the app signs in again with the new password). A wrong current
 * password counts as a failed login of the account (a stolen session or token cannot be used to
 * guess it), → 403 current_password_invalid.
 */
export async function changePassword(
  deps: IdentityDeps,
  caller: Caller,
  input: { current: string; new: string },
  client: Client,
): Promise<{ revokedSessions: number; ended: SessionsEnded }> {
  const { user } = caller;
  const weaknesses = passwordWeaknesses(input.new, user.email, input.current);
  if (weaknesses.length) throw weakPassword(weaknesses);
  const key = emailKey(user.email);
  const now = deps.now();
  const { reservation, hash } = await inTransaction(deps.db, async (trx) => {
    const reservation = await reserveAttempt(deps, trx, { emailKey: key, ip: client.ip }, now);
    return { reservation, hash: (await lockUserForUpdate(trx, user.id))?.passwordHash };
  });
  if (hash === undefined) throw unauthenticated();
  const ok = await deps.passwords.verify(hash, input.current);
  const newHash = ok ? await deps.passwords.hash(input.new) : undefined;

  const at = deps.now();
  const result = await inTransaction(deps.db, async (trx) => {
    const current = await lockUserForUpdate(trx, user.id);
    const entry = (action: AuditAction, details: Record<string, unknown> = {}) =>
      auditEntry(deps.newId, at, {
        actor: user.id,
        subjectUserId: user.id,
        action,
        details: { ...details, ...auditVia(caller) },
        ip: client.ip,
      });
    if (!current || !newHash || current.passwordHash !== hash) {
      await appendAudit(trx, [entry(AUDIT_ACTIONS.passwordChangeFailed, { reason: 'wrong_current_password' })]);
      return undefined;
    }
    await deleteFailure(trx, reservation);
    await savePasswordHash(trx, user.id, newHash, at);
    const ended = await endSessions(trx, user.id, 'password_changed', at, { except: caller.sessionId });
    await appendAudit(trx, [
      entry(AUDIT_ACTIONS.passwordChanged, {
        revokedSessions: ended.revoked.length,
        keptSessionId: caller.sessionId,
        grantsRevoked: ended.grantsRevoked,
      }),
    ]);
    return { revokedSessions: ended.revoked.length, ended };
  });
  if (!result) throw currentPasswordInvalid();
  deps.metrics.sessionsRevoked(result.revokedSessions);
  return result;
}
