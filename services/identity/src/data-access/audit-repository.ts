import { type Selectable, sql } from '@emporium/db';
import type { AuditAction, AuditEntry } from '../domain/audit.js';
import type { IdentityDb } from './db.js';
import type { AuditLogTable } from './tables.js';

const COLUMNS = ['id', 'at', 'actor', 'subject_user_id', 'action', 'details', 'ip'] as const;

const toEntry = (row: Pick<Selectable<AuditLogTable>, (typeof COLUMNS)[number]>): AuditEntry => ({
  id: row.id,
  at: row.at,
  actor: row.actor,
  subjectUserId: row.subject_user_id,
  action: row.action as AuditAction,
  details: row.details,
  ip: row.ip,
});

/** Appends entries; call it in the transaction of the effect it records, so both commit or neither. */
export async function appendAudit(trx: IdentityDb, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await trx
    .insertInto('audit_log')
    .values(
      entries.map((e) => ({
        id: e.id,
        at: e.at,
        actor: e.actor,
        subject_user_id: e.subjectUserId,
        action: e.action,
        details: JSON.stringify(e.details),
        ip: e.ip,
      })),
    )
    .execute();
}

export interface AuditFilter {
  subjectUserId: string | undefined;
  actions: readonly string[] | undefined;
  after: { position: string; id: string } | undefined;
  limit: number;
}

/** One page of entries, newest first, each with the opaque position of its (at, id) key. */
export async function findAuditPage(db: IdentityDb, f: AuditFilter): Promise<{ entry: AuditEntry; position: string }[]> {
  let query = db
    .selectFrom('audit_log')
    .select(COLUMNS)
    .select(sql<string>`to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('position'));
  if (f.subjectUserId) query = query.where('subject_user_id', '=', f.subjectUserId);
  if (f.actions) query = query.where('action', 'in', [...f.actions]);
  if (f.after) query = query.where(sql<boolean>`(at, id) < (${f.after.position}::timestamptz, ${f.after.id}::uuid)`);
  const rows = await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
  return rows.map(({ position, ...row }) => ({ entry: toEntry(row), position }));
}
