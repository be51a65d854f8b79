import { inTransaction } from '@emporium/db';
import { appendAudit } from '../data-access/audit-repository.js';
import { revokeSessionsOfUser } from '../data-access/sessions-repository.js';
import { lockUserForUpdate, saveUserAttributes } from '../data-access/users-repository.js';
import { type Actor, AUDIT_ACTIONS, type AuditEntry, auditEntry } from './audit.js';
import type { Client, IdentityDeps } from './deps.js';
import { emptyPatch, userNotFound } from './errors.js';
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
 * An admin changes a user's roles and attributes. Each change is one audit entry, committed with
 * it; suspending also ends every session of the user in the same transaction (the user is then
 * refused by authenticateSession at once, and by login with 403).
 */
export async function updateUser(
  deps: IdentityDeps,
  id: string,
  patch: UserPatch,
  by: { actor: Actor; client: Client; via: string },
): Promise<User> {
  if (Object.values(patch).every((v) => v === undefined)) throw emptyPatch();
  const at = deps.now();
  const { user, revoked } = await inTransaction(deps.db, async (trx) => {
    const locked = await lockUserForUpdate(trx, id);
    if (!locked) throw userNotFound(id);
    const { passwordHash: _hash, ...before } = locked;
    const after: User = { ...before };
    const entries: AuditEntry[] = [];
    const record = (action: AuditEntry['action'], details: Record<string, unknown>) =>
      entries.push(
        auditEntry(deps.newId, at, { actor: by.actor, subjectUserId: id, action, details: { ...details, via: by.via }, ip: by.client.ip }),
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
    let revoked: string[] = [];
    if (patch.suspended !== undefined && patch.suspended !== before.suspended) {
      after.suspended = patch.suspended;
      if (patch.suspended) {
        revoked = await revokeSessionsOfUser(trx, id, 'suspended', at);
        record(AUDIT_ACTIONS.suspended, { revokedSessions: revoked.length });
      } else {
        record(AUDIT_ACTIONS.reinstated, {});
      }
    }
    if (entries.length === 0) return { user: before, revoked };
    after.updatedAt = at;
    await saveUserAttributes(trx, after);
    await appendAudit(trx, entries);
    return { user: after, revoked };
  });
  deps.metrics.sessionsRevoked(revoked.length);
  return user;
}
