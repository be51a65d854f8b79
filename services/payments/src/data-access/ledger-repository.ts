import type { Selectable } from '@emporium/db';
import type { LedgerKind } from '../domain/payment.js';
import type { LedgerEntriesTable, LedgerSource, PaymentsDb } from './tables.js';

export interface LedgerEntry {
  id: number;
  orderId: string;
  paymentId: string | null;
  operationId: string | null;
  kind: LedgerKind;
  amount: number;
  currency: string;
  providerRef: string;
  source: LedgerSource;
  recordedAt: Date;
}

const entryOf = (row: Selectable<LedgerEntriesTable>): LedgerEntry => ({
  id: Number(row.id),
  orderId: row.order_id,
  paymentId: row.payment_id,
  operationId: row.operation_id,
  kind: row.kind,
  amount: row.amount,
  currency: row.currency,
  providerRef: row.provider_ref,
  source: row.source,
  recordedAt: row.recorded_at,
});

export type NewMovement = Omit<LedgerEntry, 'id' | 'recordedAt'>;

/**
 * The insert of money movements of the provider. The same movement (kind and provider object) is
 * recorded once, whichever path — worker, webhook or reconciliation — learns of it first.
 */
export function movementsInsert(trx: PaymentsDb, entries: NewMovement[]) {
  return trx
    .insertInto('ledger_entries')
    .values(
      entries.map((entry) => ({
        order_id: entry.orderId,
        payment_id: entry.paymentId,
        operation_id: entry.operationId,
        kind: entry.kind,
        amount: entry.amount,
        currency: entry.currency,
        provider_ref: entry.providerRef,
        source: entry.source,
      })),
    )
    .onConflict((oc) => oc.constraint('ledger_entries_movement_key').doNothing());
}

/** Records one money movement (see movementsInsert). Returns whether it was new. */
export async function recordMovement(trx: PaymentsDb, entry: NewMovement): Promise<boolean> {
  const row = await movementsInsert(trx, [entry]).returning('id').executeTakeFirst();
  return row !== undefined;
}

export async function hasMovement(trx: PaymentsDb, kind: LedgerKind, providerRef: string): Promise<boolean> {
  const row = await trx
    .selectFrom('ledger_entries')
    .select('id')
    .where('kind', '=', kind)
    .where('provider_ref', '=', providerRef)
    .executeTakeFirst();
  return row !== undefined;
}

/** The ledger, oldest first, optionally of one order; keyset-paginated by id. */
export async function listLedger(db: PaymentsDb, filter: { orderId?: string; afterId?: number; limit: number }): Promise<LedgerEntry[]> {
  let query = db.selectFrom('ledger_entries').selectAll();
  if (filter.orderId) query = query.where('order_id', '=', filter.orderId);
  if (filter.afterId !== undefined) query = query.where('id', '>', filter.afterId as never);
  const rows = await query.orderBy('id').limit(filter.limit).execute();
  return rows.map(entryOf);
}
