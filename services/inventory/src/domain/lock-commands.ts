import { lockOrderKeys, lockReservationsForUpdate } from '../data-access/reservations-repository.js';
import { lockStockOfSkusForUpdate } from '../data-access/stock-repository.js';
import type { InventoryTrx } from '../data-access/db.js';
import { HeldRows } from './held-rows.js';

/** What locking needs of a command: every command names its order; a reserve command also its lines. */
export interface OrderCommand {
  orderId: string;
  lines?: readonly { sku: string }[];
}

/**
 * Takes every lock a transaction of commands (one message, or a batch of them in one inbox
 * transaction) needs before any command runs, and returns the rows it read.
 *
 * THE LOCK ORDER of the inventory. Every path takes its locks in this order, each level in one
 * statement sorted by its key, and waits for no lock of an earlier level afterwards — so no two
 * transactions can wait for each other in a cycle:
 *
 *   0. the inbox rows of the messages, by message id (the platform's InboxBatcher, before this).
 *   1. the order keys (advisory locks), by key — commands only.
 *   2. the reservation rows, by order id — commands; the expiry sweep locks them with SKIP
 *      LOCKED, so it never waits for one and may take them in its own order (oldest deadline).
 *   3. the stock rows, every location of each SKU, by (sku, location) — commands, the sweep, and
 *      the admin routes (count, receipt). Those create a new location's row first without
 *      locking any existing row (ensureStockLevel); a receipt first records its reference, which
 *      only another request with that reference waits for, before it holds any stock row.
 *
 * After that a transaction writes only rows it holds, or new rows no one else can be writing:
 * a new reservation (its order's key is held), its reservation_lines, movements, outbox rows.
 *
 * The stock rows locked are those the commands can touch: a reserve's lines when its order has no
 * reservation yet; the lines and allocations of a reservation that can still change (not released
 * or failed). Nothing a command creates needs more (a reservation made by an earlier command of
 * the batch holds units of that command's lines).
 */
export async function lockForCommands(trx: InventoryTrx, commands: readonly OrderCommand[]): Promise<HeldRows> {
  const orderIds = [...new Set(commands.map((c) => c.orderId))];
  await lockOrderKeys(trx, orderIds);
  const reservations = await lockReservationsForUpdate(trx, orderIds);

  const skus = new Set<string>();
  for (const c of commands) {
    if (!reservations.has(c.orderId)) for (const l of c.lines ?? []) skus.add(l.sku);
  }
  for (const { reservation, allocations } of reservations.values()) {
    if (reservation.status === 'released' || reservation.status === 'failed') continue;
    for (const l of reservation.lines) skus.add(l.sku);
    for (const a of allocations) skus.add(a.sku);
  }
  const stock = await lockStockOfSkusForUpdate(trx, [...skus]);
  return new HeldRows(new Set(orderIds), reservations, skus, stock);
}
