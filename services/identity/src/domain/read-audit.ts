import { authorize } from '@emporium/auth';
import { findAuditPage } from '../data-access/audit-repository.js';
import { ACCOUNT_ACTIVITY_ACTIONS, type AuditEntry } from './audit.js';
import { type Caller, principalOfCaller } from './caller.js';
import { decodeCursor, pageOf } from './cursor.js';
import type { IdentityDeps } from './deps.js';
import { identityPolicy } from '../policy.js';

export interface Page {
  limit: number;
  cursor?: string | undefined;
}

export type AuditPage = { items: AuditEntry[]; nextCursor: string | null };

async function readPage(
  deps: IdentityDeps,
  page: Page,
  filter: { subjectUserId?: string | undefined; actions?: readonly string[] | undefined },
): Promise<AuditPage> {
  const rows = await findAuditPage(deps.db, {
    subjectUserId: filter.subjectUserId,
    actions: filter.actions,
    after: page.cursor === undefined ? undefined : decodeCursor(page.cursor),
    limit: page.limit + 1,
  });
  return pageOf(
    rows.map((r) => ({ position: r.position, id: r.entry.id, item: r.entry })),
    page.limit,
  );
}

/**
 * The caller's own account activity (sign-up, logins, failed logins, logouts, password changes,
 * sessions ended, addresses), newest first. Admin decisions about them stay in the admin log.
 */
export async function readAccountActivity(deps: IdentityDeps, caller: Caller, page: Page): Promise<AuditPage> {
  authorize(identityPolicy(principalOfCaller(caller)), 'read', 'Activity', { userId: caller.user.id });
  return readPage(deps, page, { subjectUserId: caller.user.id, actions: ACCOUNT_ACTIVITY_ACTIONS });
}

/** The whole audit log for admins, newest first, optionally about one user or of one action. */
export async function readAuditLog(
  deps: IdentityDeps,
  caller: Caller,
  page: Page & { subjectUserId?: string | undefined; action?: string | undefined },
): Promise<AuditPage> {
  authorize(identityPolicy(principalOfCaller(caller)), 'read', 'AuditLog');
  return readPage(deps, page, { subjectUserId: page.subjectUserId, actions: page.action ? [page.action] : undefined });
}
