import { authorize } from '@emporium/auth';
import { inTransaction } from '@emporium/db';
import { appendAudit } from '../data-access/audit-repository.js';
import { lockUserForUpdate, saveUserAttributes } from '../data-access/users-repository.js';
import { AUDIT_ACTIONS, type AuditEntry, auditEntry } from './audit.js';
import { auditVia, type Caller, principalOfCaller } from './caller.js';
import type { Client, IdentityDeps } from './deps.js';
import { endSessions, NOTHING_ENDED, type SessionsEnded } from './end-sessions.js';
import { emptyPatch, userNotFound } from './errors.js';
import { identityPolicy } from '../policy.js';
import { ROLES, type Money, type Role, type User } from './user.js';

export interface UserPatch {
  roles?: Role[] | undefined;
  region?: string | null | undefined;
  refundLimit?: Money | null | undefined;
  suspended?: boolean | undefined;
}

const sameMoney = (a: Money | null, b: Money | null) =>
  a === b || (a !== null && b !== null && a.amount === b.amount && a.currency === b.currency);

/**
 * An admin changes another user's roles and attributes (the policy: never their own — 403). Each
 * change is one audit entry with its before and after, committed with it; the actor is the admin
 * (the verified token's subject, an account of ours that is an admin now). Suspending also ends
 * every session of the user everywhere in the same transaction: ours, the provider's, and every
 * grant of the account (the user is then refused by authenticateSession at once, by login with
 * 403, and by the provider at the next refresh).
 */
export async function updateUser(
  deps: IdentityDeps,
  id: string,
  patch: UserPatch,
  by: { caller: Caller; client: Client },
): Promise<{ user: User; ended: SessionsEnded }> {
  // 403 for anyone but an admin (as our table has them now), and for an admin's own account.
  authorize(identityPolicy(principalOfCaller(by.caller)), 'update', 'User', { id });
  if (Object.values(patch).every((v) => v === undefined)) throw emptyPatch();
  const at = deps.now();
  const result = await inTransaction(deps.db, async (trx) => {
    const locked = await lockUserForUpdate(trx, id);
    if (!locked) throw userNotFound(id);
    const { passwordHash: _hash, ...before } = locked;
    const after: User = { ...before };
    const entries: AuditEntry[] = [];
    const record = (action: AuditEntry['action'], details: Record<string, unknown>) =>
      entries.push(
        auditEntry(deps.newId, at, {
          actor: by.caller.user.id,
          subjectUserId: id,
          action,
          details: { ...details, ...auditVia(by.caller) },
          ip: by.client.ip,
        }),
      );

    if (patch.roles !== undefined) {
      // A set: order and repeats carry no meaning, so they do not make a change either.
      const roles = ROLES.filter((r) => patch.roles!.includes(r));
      if (roles.join() !== [...before.roles].sort((a, b) => ROLES.indexOf(a) - ROLES.indexOf(b)).join()) {
        after.roles = roles;
        record(AUDIT_ACTIONS.rolesChanged, { from: before.roles, to: roles });
      }
    }
    if (patch.region !== undefined && patch.region !== before.region) {
      after.region = patch.region;
      record(AUDIT_ACTIONS.regionChanged, { from: before.region, to: patch.region });
    }
    if (patch.refundLimit !== undefined && !sameMoney(patch.refundLimit, before.refundLimit)) {
      after.refundLimit = patch.refundLimit;
      record(AUDIT_ACTIONS.refundLimitChanged, { from: before.refundLimit, to: patch.refundLimit });
    }
    let ended = NOTHING_ENDED;
    if (patch.suspended !== undefined && patch.suspended !== before.suspended) {
      after.suspended = patch.suspended;
      if (patch.suspended) {
        ended = await endSessions(trx, id, 'suspended', at, { except: null });
        record(AUDIT_ACTIONS.suspended, {
          from: false,
          to: true,
          revokedSessions: ended.revoked.length,
          grantsRevoked: ended.grantsRevoked,
        });
      } else {
        record(AUDIT_ACTIONS.reinstated, { from: true, to: false });
      }
    }
    if (entries.length === 0) return { user: before, ended };
    after.updatedAt = at;
    await saveUserAttributes(trx, after);
    await appendAudit(trx, entries);
    return { user: after, ended };
  });
  deps.metrics.sessionsRevoked(result.ended.revoked.length);
  return result;
}
