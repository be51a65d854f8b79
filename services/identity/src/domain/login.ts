import { inTransaction } from '@emporium/db';
import { appendAudit } from '../data-access/audit-repository.js';
import { clearAccountFailures, deleteFailure } from '../data-access/login-failures-repository.js';
import { findUserWithCredentialsByEmail, lockUserForUpdate, savePasswordHash } from '../data-access/users-repository.js';
import { AUDIT_ACTIONS, type AuditAction, auditEntry } from './audit.js';
import type { Client, IdentityDeps } from './deps.js';
import { accountSuspended, invalidCredentials } from './errors.js';
import { reserveAttempt } from './login-limits.js';
import { startSession } from './new-session.js';
import type { Session } from './session.js';
import { emailKey, type User } from './user.js';

export interface LoggedIn {
  user: User;
  session: Session;
  /** The bearer secret: returned once, never stored or logged. */
  secret: string;
}

/**
 * E-mail and password → a new session. The pipeline:
 * 1. under the limits' locks, reserve the attempt as a failure (over a limit → 429 rate_limited);
 * 2. check the password outside any transaction (argon2id takes ~100 ms of CPU); an unknown e-mail
 *    is checked against a dummy hash, so it answers the same 401 in about the same time;
 * 3. in one transaction, with the user's row locked (a password changed meanwhile counts as wrong):
 *    the audit entry and its effect — a failure stays counted; a success deletes the reservation
 *    and the account's failures and starts a session; a suspended account → 403 (only after the
 *    right password, so suspension is not disclosed to guessers).
 */
export async function login(
  deps: IdentityDeps,
  input: { email: string; password: string },
  client: Client,
  /** A login on the OpenID provider's page, for this client: noted in the audit entries. */
  through?: { clientId: string },
): Promise<LoggedIn> {
  const via = through ? { via: 'oidc', clientId: through.clientId } : {};
  const key = emailKey(input.email);
  const now = deps.now();
  let reservation: string;
  try {
    reservation = await inTransaction(deps.db, (trx) => reserveAttempt(deps, trx, { emailKey: key, ip: client.ip }, now));
  } catch (error) {
    deps.metrics.login('rate_limited');
    throw error;
  }

  const found = await findUserWithCredentialsByEmail(deps.db, key);
  let ok = false;
  if (found) ok = await deps.passwords.verify(found.passwordHash, input.password);
  else await deps.passwords.verifyDummy(input.password);
  const rehashed = ok && found && deps.passwords.needsRehash(found.passwordHash) ? await deps.passwords.hash(input.password) : undefined;

  const at = deps.now();
  const outcome = await inTransaction(deps.db, async (trx) => {
    const user = found && (await lockUserForUpdate(trx, found.id));
    // The actor of a refused attempt is whoever typed it: not known, so 'system'.
    const audit = (action: AuditAction, details: Record<string, unknown>, actor = 'system') =>
      appendAudit(trx, [
        auditEntry(deps.newId, at, { actor, subjectUserId: user?.id ?? null, action, details: { ...details, ...via }, ip: client.ip }),
      ]);
    if (!user || !ok || user.passwordHash !== found.passwordHash) {
      await audit(AUDIT_ACTIONS.loginFailed, user ? { reason: 'wrong_password' } : { reason: 'unknown_account', email: key });
      return { kind: 'failed' as const };
    }
    await deleteFailure(trx, reservation);
    if (user.suspended) {
      await audit(AUDIT_ACTIONS.loginRefusedSuspended, {});
      return { kind: 'suspended' as const };
    }
    await clearAccountFailures(trx, key);
    if (rehashed) await savePasswordHash(trx, user.id, rehashed, at);
    const started = await startSession(trx, deps.settings, user.id, client, { id: deps.newId(), now: at });
    await audit(AUDIT_ACTIONS.loginSucceeded, { sessionId: started.session.id, userAgent: started.session.userAgent }, user.id);
    const { passwordHash: _hash, ...plain } = user;
    return { kind: 'succeeded' as const, loggedIn: { user: plain, ...started } };
  });
  deps.metrics.login(outcome.kind);
  if (outcome.kind === 'failed') throw invalidCredentials();
  if (outcome.kind === 'suspended') throw accountSuspended();
  return outcome.loggedIn;
}
