import type { PaymentsDb } from './tables.js';

export interface Finding {
  id: number;
  kind: string;
  orderId: string | null;
  intentId: string;
  action: string;
  detail: string;
  foundAt: Date;
}

/** Records a finding once per (kind, intent); returns whether it is new (so it is counted once). */
export async function recordFinding(trx: PaymentsDb, finding: Omit<Finding, 'id' | 'foundAt'>): Promise<boolean> {
  const row = await trx
    .insertInto('reconciliation_findings')
    .values({ kind: finding.kind, order_id: finding.orderId, intent_id: finding.intentId, action: finding.action, detail: finding.detail })
    .onConflict((oc) => oc.constraint('reconciliation_findings_once').doNothing())
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function listFindings(db: PaymentsDb, filter: { orderId?: string; limit: number }): Promise<Finding[]> {
  let query = db.selectFrom('reconciliation_findings').selectAll();
  if (filter.orderId) query = query.where('order_id', '=', filter.orderId);
  const rows = await query.orderBy('found_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
  return rows.map((r) => ({
    id: Number(r.id),
    kind: r.kind,
    orderId: r.order_id,
    intentId: r.intent_id,
    action: r.action,
    detail: r.detail,
    foundAt: r.found_at,
  }));
}
