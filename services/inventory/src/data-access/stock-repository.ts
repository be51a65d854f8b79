import { sql } from '@emporium/db';
import type { InventoryDb } from './db.js';
import type { MovementRecord, StockLevelRecord } from './tables.js';

const toRecord = (row: { sku: string; location: string; on_hand: number; reserved: number }): StockLevelRecord => ({
  sku: row.sku,
  location: row.location,
  onHand: Number(row.on_hand),
  reserved: Number(row.reserved),
});

/**
 * Reads every location of these SKUs and holds their row locks until the transaction ends.
 * Rows are locked in one fixed order — (sku, location) — by every writer, and each writer locks
 * all the stock rows it needs in one such call, so two transactions touching the same SKUs wait
 * for each other instead of deadlocking (the whole lock order: domain/lock-commands.ts).
 */
export async function lockStockOfSkusForUpdate(trx: InventoryDb, skus: readonly string[]): Promise<StockLevelRecord[]> {
  if (skus.length === 0) return [];
  const rows = await trx
    .selectFrom('stock_levels')
    .select(['sku', 'location', 'on_hand', 'reserved'])
    .where('sku', 'in', [...skus])
    .orderBy('sku')
    .orderBy('location')
    .forUpdate()
    .execute();
  return rows.map(toRecord);
}

/**
 * Creates the (sku, location) row with nothing in it unless it exists. It locks no existing row
 * (ON CONFLICT DO NOTHING), so the caller then locks every location of the SKU in the one order,
 * this one among them. It may wait for a transaction that is writing that row; the caller holds
 * no stock row yet, so that wait cannot close a cycle.
 */
export async function ensureStockLevel(trx: InventoryDb, sku: string, location: string): Promise<void> {
  await trx
    .insertInto('stock_levels')
    .values({ sku, location, on_hand: 0, reserved: 0 })
    .onConflict((oc) => oc.columns(['sku', 'location']).doNothing())
    .execute();
}

/**
 * Adds each movement's deltas to its (sku, location) row and journals the movement, in one
 * statement; the rows are locked by the caller. The CHECKs refuse any row that would oversell.
 * Movements with no change are neither applied nor journalled. Returns the changed rows as they
 * now are.
 */
export async function applyMovements(trx: InventoryDb, movements: readonly MovementRecord[], at: Date): Promise<StockLevelRecord[]> {
  const changing = movements.filter((m) => m.onHandDelta !== 0 || m.reservedDelta !== 0);
  if (changing.length === 0) return [];
  const values = sql.join(
    changing.map(
      (m) =>
        sql`(${m.sku}::text, ${m.location}::text, ${m.kind}::text, ${m.onHandDelta}::bigint, ${m.reservedDelta}::bigint,
          ${m.orderId ?? null}::uuid, ${m.reference ?? null}::text, ${m.reason ?? null}::text)`,
    ),
  );
  // One joined row per (sku, location): UPDATE … FROM applies only one joined row to a target.
  const rows = await sql<{ sku: string; location: string; on_hand: number; reserved: number }>`
    WITH m (sku, location, kind, on_hand_delta, reserved_delta, order_id, reference, reason) AS (VALUES ${values}),
    changed AS (
      UPDATE stock_levels AS s
      SET on_hand = s.on_hand + d.on_hand, reserved = s.reserved + d.reserved, updated_at = ${at}
      FROM (
        SELECT sku, location, sum(on_hand_delta) AS on_hand, sum(reserved_delta) AS reserved FROM m GROUP BY sku, location
      ) AS d
      WHERE s.sku = d.sku AND s.location = d.location AND (d.on_hand <> 0 OR d.reserved <> 0)
      RETURNING s.sku, s.location, s.on_hand, s.reserved
    ),
    journal AS (
      INSERT INTO stock_movements (sku, location, kind, on_hand_delta, reserved_delta, order_id, reference, reason, created_at)
      SELECT sku, location, kind, on_hand_delta, reserved_delta, order_id, reference, reason, ${at} FROM m
    )
    SELECT sku, location, on_hand, reserved FROM changed`.execute(trx);
  return rows.rows.map(toRecord);
}

/** Units available to reserve (on hand − reserved, over every location) per SKU; SKUs with no row are absent. */
export async function availabilityOfSkus(db: InventoryDb, skus: readonly string[]): Promise<Map<string, number>> {
  if (skus.length === 0) return new Map();
  const rows = await db
    .selectFrom('stock_levels')
    .select(['sku', sql<number>`sum(on_hand - reserved)::bigint`.as('available')])
    .where('sku', 'in', [...skus])
    .groupBy('sku')
    .execute();
  return new Map(rows.map((r) => [r.sku, Number(r.available)]));
}

/** Every location of these SKUs, by SKU then location. */
export async function findStockOfSkus(db: InventoryDb, skus: readonly string[]): Promise<StockLevelRecord[]> {
  if (skus.length === 0) return [];
  const rows = await db
    .selectFrom('stock_levels')
    .select(['sku', 'location', 'on_hand', 'reserved'])
    .where('sku', 'in', [...skus])
    .orderBy('sku')
    .orderBy('location')
    .execute();
  return rows.map(toRecord);
}
