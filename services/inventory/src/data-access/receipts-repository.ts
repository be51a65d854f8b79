import type { InventoryDb } from './db.js';
import type { ReceiptRecord } from './tables.js';

/**
 * Records a receipt under its reference unless the SKU already has one with that reference.
 * The primary key decides: of two concurrent requests with one reference, the second waits for
 * the first and then finds it. Returns whether this one was recorded.
 */
export async function insertReceiptIfNew(trx: InventoryDb, receipt: ReceiptRecord): Promise<boolean> {
  const inserted = await trx
    .insertInto('stock_receipts')
    .values({
      sku: receipt.sku,
      reference: receipt.reference,
      location: receipt.location,
      quantity: receipt.quantity,
      reason: receipt.reason,
      created_at: receipt.createdAt,
    })
    .onConflict((oc) => oc.columns(['sku', 'reference']).doNothing())
    .returning('reference')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function findReceipt(db: InventoryDb, sku: string, reference: string): Promise<ReceiptRecord | undefined> {
  const row = await db
    .selectFrom('stock_receipts')
    .select(['sku', 'reference', 'location', 'quantity', 'reason', 'created_at'])
    .where('sku', '=', sku)
    .where('reference', '=', reference)
    .executeTakeFirst();
  return (
    row && {
      sku: row.sku,
      reference: row.reference,
      location: row.location,
      quantity: Number(row.quantity),
      reason: row.reason,
      createdAt: row.created_at,
    }
  );
}
