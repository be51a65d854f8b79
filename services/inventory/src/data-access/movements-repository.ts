import type { InventoryDb } from './db.js';
import type { MovementRecord } from './tables.js';

/** Appends to the journal, in the transaction that changes the levels (a movement with no change is skipped). */
export async function appendMovements(trx: InventoryDb, movements: readonly MovementRecord[], at: Date): Promise<void> {
  const rows = movements
    .filter((m) => m.onHandDelta !== 0 || m.reservedDelta !== 0)
    .map((m) => ({
      sku: m.sku,
      location: m.location,
      kind: m.kind,
      on_hand_delta: m.onHandDelta,
      reserved_delta: m.reservedDelta,
      order_id: m.orderId ?? null,
      reference: m.reference ?? null,
      reason: m.reason ?? null,
      created_at: at,
    }));
  if (rows.length === 0) return;
  await trx.insertInto('stock_movements').values(rows).execute();
}
