import { inTransaction } from '@emporium/db';
import { appendAudit } from '../data-access/audit-repository.js';
import { isEmailTaken } from '../data-access/db.js';
import { insertFailure } from '../data-access/login-failures-repository.js';
import { insertUser } from '../data-access/users-repository.js';
import { AUDIT_ACTIONS, auditEntry } from './audit.js';
import type { Client, IdentityDeps } from './deps.js';
import { emailTaken, weakPassword } from './errors.js';
import { checkLimits } from './login-limits.js';
import { passwordWeaknesses } from './password-policy.js';
import type { User } from './user.js';

export interface SignUp {
  email: string;
  password: string;
  name?: string | undefined;
}

/**
 * Opens an account with the role customer and no attributes (a sign-up body cannot carry them:
 * the schema rejects unknown properties). Weak password → 422 weak_password; an e-mail already
 * used (case-insensitively) → 409 email_taken, which also counts against the client address's
 * limit, so the answer cannot be used to test addresses in bulk.
 */
export async function signUp(deps: IdentityDeps, input: SignUp, client: Client): Promise<User> {
  const email = input.email.trim();
  const weaknesses = passwordWeaknesses(input.password, email);
  if (weaknesses.length) throw weakPassword(weaknesses);
  const now = deps.now();
  if (client.ip !== null) await inTransaction(deps.db, (trx) => checkLimits(deps, trx, { emailKey: undefined, ip: client.ip }, now));

  const passwordHash = await deps.passwords.hash(input.password);
  const user: User = {
    id: deps.newId(),
    email,
    name: input.name?.trim() || null,
    roles: ['customer'],
    region: null,
    refundLimit: null,
    suspended: false,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await inTransaction(deps.db, async (trx) => {
      // The entry goes first: whatever fails after it in this transaction (the unique e-mail) takes it back too.
      await appendAudit(trx, [
        auditEntry(deps.newId, now, { actor: user.id, subjectUserId: user.id, action: AUDIT_ACTIONS.signedUp, ip: client.ip }),
      ]);
      await insertUser(trx, { ...user, passwordHash });
    });
  } catch (error) {
    if (!isEmailTaken(error)) throw error;
    if (client.ip !== null) await insertFailure(deps.db, { emailKey: null, ip: client.ip, at: now });
    throw emailTaken();
  }
  deps.metrics.signedUp();
  return user;
}
