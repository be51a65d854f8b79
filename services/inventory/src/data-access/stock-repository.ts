import { sql } from '@emporium/db';
import type { InventoryDb } from './db.js';
import type { StockLevelRecord } from './tables.js';

const toRecord = (row: { sku: string; location: string; on_hand: number; reserved: number }): StockLevelRecord => ({
  sku: row.sku,
  location: row.location,
  onHand: Number(row.on_hand),
  reserved: Number(row.reserved),
});

/**
 * Reads every location of these SKUs and holds their row locks until the transaction ends.
 * Rows are locked in one fixed order — (sku, location) — by every writer, so two transactions
 * touching the same SKUs wait for each other instead of deadlocking.
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

/** Locks the rows of these (sku, location) pairs, in the fixed order. Absent pairs are simply not returned. */
export async function lockStockLevelsForUpdate(
  trx: InventoryDb,
  keys: readonly { sku: string; location: string }[],
): Promise<StockLevelRecord[]> {
  if (keys.length === 0) return [];
  const pairs = sql.join(keys.map((k) => sql`(${k.sku}, ${k.location})`));
  const rows = await sql<{ sku: string; location: string; on_hand: number; reserved: number }>`
    SELECT sku, location, on_hand, reserved FROM stock_levels
    WHERE (sku, location) IN (${pairs})
    ORDER BY sku, location
    FOR UPDATE`.execute(trx);
  return rows.rows.map(toRecord);
}

/** Creates the (sku, location) row with nothing in it unless it exists; then locks and returns it. */
export async function lockOrCreateStockLevelForUpdate(trx: InventoryDb, sku: string, location: string): Promise<StockLevelRecord> {
  await trx
    .insertInto('stock_levels')
    .values({ sku, location, on_hand: 0, reserved: 0 })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const [row] = await lockStockLevelsForUpdate(trx, [{ sku, location }]);
  return row!;
}

/** Adds the deltas (summed per row) to the rows locked by the caller. The CHECKs refuse any row that would oversell. */
export async function addToStockLevels(
  trx: InventoryDb,
  deltas: readonly { sku: string; location: string; onHand: number; reserved: number }[],
  at: Date,
): Promise<void> {
  // One row of VALUES per (sku, location): UPDATE … FROM applies only one joined row to a target.
  const summed = new Map<string, { sku: string; location: string; onHand: number; reserved: number }>();
  for (const d of deltas) {
    const key = JSON.stringify([d.sku, d.location]);
    const s = summed.get(key) ?? { sku: d.sku, location: d.location, onHand: 0, reserved: 0 };
    summed.set(key, { ...s, onHand: s.onHand + d.onHand, reserved: s.reserved + d.reserved });
  }
  const changed = [...summed.values()].filter((d) => d.onHand !== 0 || d.reserved !== 0);
  if (changed.length === 0) return;
  const values = sql.join(changed.map((d) => sql`(${d.sku}::text, ${d.location}::text, ${d.onHand}::bigint, ${d.reserved}::bigint)`));
  await sql`
    UPDATE stock_levels AS s
    SET on_hand = s.on_hand + d.on_hand, reserved = s.reserved + d.reserved, updated_at = ${at}
    FROM (VALUES ${values}) AS d (sku, location, on_hand, reserved)
    WHERE s.sku = d.sku AND s.location = d.location`.execute(trx);
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
