import { type Selectable, sql } from '@emporium/db';
import type { InventoryDb } from './db.js';
import type { AllocationRecord, ReservationRecord, ReservationsTable } from './tables.js';

const COLUMNS = [
  'order_id',
  'status',
  'lines',
  'expires_at',
  'failure_reason',
  'shortages',
  'created_at',
  'updated_at',
  'committed_at',
  'released_at',
] as const;

const toRecord = (row: Selectable<ReservationsTable>): ReservationRecord => ({
  orderId: row.order_id,
  status: row.status,
  lines: row.lines,
  expiresAt: row.expires_at,
  failureReason: row.failure_reason,
  shortages: row.shortages,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  committedAt: row.committed_at,
  releasedAt: row.released_at,
});

/** Advisory-lock namespace of "one command of this order at a time" (an arbitrary constant of this service). */
const ORDER_LOCK_NAMESPACE = 0x1417;

/**
 * Serializes every command of these orders until the transaction ends, even before an order's
 * reservation row exists: two reserve commands for one order (duplicates with different message
 * ids) run one after the other, and the second finds the first's outcome instead of inserting the
 * row again. The keys are taken in key order, in one statement (PostgreSQL evaluates a volatile
 * output function after the ORDER BY), before any row lock. It must be a statement of its own:
 * the next statement's snapshot is then taken after the wait, so it sees what the order's
 * previous command committed.
 */
export async function lockOrderKeys(trx: InventoryDb, orderIds: readonly string[]): Promise<void> {
  if (orderIds.length === 0) return;
  await sql`
    SELECT pg_advisory_xact_lock(${ORDER_LOCK_NAMESPACE}::int, k)
    FROM (SELECT DISTINCT hashtext(id) AS k FROM unnest(${[...orderIds]}::text[]) AS id) AS keys
    ORDER BY k`.execute(trx);
}

/**
 * Reads these orders' reservations, each with where its units are held, and holds their row locks
 * until the transaction ends; rows are locked in order id order. Orders with no reservation are
 * absent. The allocations are read in the statement's snapshot, not re-read after a wait for a
 * row lock: every writer of reservation_lines holds the order's key (lockOrderKeys), which the
 * caller takes first, so no one changes them while this statement waits (the expiry sweep, which
 * locks rows without the key, never changes allocations).
 */
export async function lockReservationsForUpdate(
  trx: InventoryDb,
  orderIds: readonly string[],
): Promise<Map<string, { reservation: ReservationRecord; allocations: AllocationRecord[] }>> {
  const result = new Map<string, { reservation: ReservationRecord; allocations: AllocationRecord[] }>();
  if (orderIds.length === 0) return result;
  const rows = await sql<Selectable<ReservationsTable> & { allocations: AllocationRecord[] }>`
    SELECT r.order_id, r.status, r.lines, r.expires_at, r.failure_reason, r.shortages, r.created_at, r.updated_at,
      r.committed_at, r.released_at,
      coalesce((
        SELECT json_agg(json_build_object('sku', l.sku, 'location', l.location, 'quantity', l.quantity) ORDER BY l.sku, l.location)
        FROM reservation_lines AS l WHERE l.order_id = r.order_id
      ), '[]') AS allocations
    FROM reservations AS r
    WHERE r.order_id = ANY(${[...orderIds]}::uuid[])
    ORDER BY r.order_id
    FOR UPDATE OF r`.execute(trx);
  for (const row of rows.rows) {
    result.set(row.order_id, {
      reservation: toRecord(row),
      allocations: row.allocations.map((a) => ({ sku: a.sku, location: a.location, quantity: Number(a.quantity) })),
    });
  }
  return result;
}

export async function findReservation(db: InventoryDb, orderId: string): Promise<ReservationRecord | undefined> {
  const row = await db.selectFrom('reservations').select(COLUMNS).where('order_id', '=', orderId).executeTakeFirst();
  return row && toRecord(row);
}

/** Records a new reservation and where its units are held, in one statement. */
export async function insertReservation(trx: InventoryDb, r: ReservationRecord, allocations: readonly AllocationRecord[]): Promise<void> {
  const insert = trx.insertInto('reservations').values({
    order_id: r.orderId,
    status: r.status,
    lines: JSON.stringify(r.lines),
    expires_at: r.expiresAt,
    failure_reason: r.failureReason,
    shortages: r.shortages ? JSON.stringify(r.shortages) : null,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    committed_at: r.committedAt,
    released_at: r.releasedAt,
  });
  if (allocations.length === 0) {
    await insert.execute();
    return;
  }
  // The lines' foreign key to the reservation is checked at the end of the statement, when the row exists.
  const held = sql.join(allocations.map((a) => sql`(${a.sku}::text, ${a.location}::text, ${a.quantity}::bigint)`));
  await trx
    .with('reservation', () => insert.returning('order_id'))
    .insertInto('reservation_lines')
    .columns(['order_id', 'sku', 'location', 'quantity'])
    .expression(
      sql`SELECT reservation.order_id, a.sku, a.location, a.quantity FROM reservation, (VALUES ${held}) AS a (sku, location, quantity)`,
    )
    .execute();
}

/** Writes the reservation's state (its row is locked by the caller; the trigger checks the transition). */
export async function saveReservation(trx: InventoryDb, r: ReservationRecord): Promise<void> {
  await trx
    .updateTable('reservations')
    .set({
      status: r.status,
      expires_at: r.expiresAt,
      failure_reason: r.failureReason,
      shortages: r.shortages ? JSON.stringify(r.shortages) : null,
      updated_at: r.updatedAt,
      committed_at: r.committedAt,
      released_at: r.releasedAt,
    })
    .where('order_id', '=', r.orderId)
    .execute();
}

/** Where the order's units are (or were last) held, by SKU then location. */
export async function findAllocations(db: InventoryDb, orderId: string): Promise<AllocationRecord[]> {
  const byOrder = await findAllocationsOfOrders(db, [orderId]);
  return byOrder.get(orderId) ?? [];
}

export async function findAllocationsOfOrders(db: InventoryDb, orderIds: readonly string[]): Promise<Map<string, AllocationRecord[]>> {
  const result = new Map<string, AllocationRecord[]>();
  if (orderIds.length === 0) return result;
  const rows = await db
    .selectFrom('reservation_lines')
    .select(['order_id', 'sku', 'location', 'quantity'])
    .where('order_id', 'in', [...orderIds])
    .orderBy('order_id')
    .orderBy('sku')
    .orderBy('location')
    .execute();
  for (const r of rows) {
    const list = result.get(r.order_id) ?? [];
    list.push({ sku: r.sku, location: r.location, quantity: Number(r.quantity) });
    result.set(r.order_id, list);
  }
  return result;
}

/** Replaces where the order's units are held (a late commit may hold them elsewhere than the expired reservation did). */
export async function replaceAllocations(trx: InventoryDb, orderId: string, allocations: readonly AllocationRecord[]): Promise<void> {
  await trx.deleteFrom('reservation_lines').where('order_id', '=', orderId).execute();
  if (allocations.length === 0) return;
  await trx
    .insertInto('reservation_lines')
    .values(allocations.map((a) => ({ order_id: orderId, sku: a.sku, location: a.location, quantity: a.quantity })))
    .execute();
}

/**
 * Locks up to `limit` live reservations whose deadline has passed, oldest first. Rows another
 * transaction holds (a commit in progress, another replica's sweep) are skipped, not waited for.
 */
export async function lockExpiredReservationsForUpdate(trx: InventoryDb, now: Date, limit: number): Promise<ReservationRecord[]> {
  const rows = await trx
    .selectFrom('reservations')
    .select(COLUMNS)
    .where('status', '=', 'reserved')
    .where('expires_at', '<=', now)
    .orderBy('expires_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  return rows.map(toRecord);
}

export async function countActiveReservations(db: InventoryDb): Promise<number> {
  const row = await db
    .selectFrom('reservations')
    .select(sql<number>`count(*)::bigint`.as('n'))
    .where('status', '=', 'reserved')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
