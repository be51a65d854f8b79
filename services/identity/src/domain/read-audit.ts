import { findAuditPage } from '../data-access/audit-repository.js';
import { ACCOUNT_ACTIVITY_ACTIONS, type AuditEntry } from './audit.js';
import { decodeCursor, pageOf } from './cursor.js';
import type { IdentityDeps } from './deps.js';

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

/** The user's own account activity (logins, failed logins, password changes, sessions ended), newest first. */
export function readAccountActivity(deps: IdentityDeps, userId: string, page: Page): Promise<AuditPage> {
  return readPage(deps, page, { subjectUserId: userId, actions: ACCOUNT_ACTIVITY_ACTIONS });
}

/** The whole audit log for admins, newest first, optionally about one user or of one action. */
export function readAuditLog(
  deps: IdentityDeps,
  page: Page & { subjectUserId?: string | undefined; action?: string | undefined },
): Promise<AuditPage> {
  return readPage(deps, page, { subjectUserId: page.subjectUserId, actions: page.action ? [page.action] : undefined });
}
