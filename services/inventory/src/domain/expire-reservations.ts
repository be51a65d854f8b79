import { inTransaction } from '@emporium/db';
import { appendToOutbox } from '@emporium/messaging';
import { findAllocationsOfOrders, lockExpiredReservationsForUpdate, saveReservation } from '../data-access/reservations-repository.js';
import { lockStockOfSkusForUpdate } from '../data-access/stock-repository.js';
import type { InventoryDeps } from './deps.js';
import { reservationReleased } from './events.js';
import { expired } from './reservation.js';
import { applyStockChanges } from './stock-change.js';

/**
 * Releases up to `limit` reservations whose deadline has passed and that were not committed,
 * each with `inventory.reservation.released.v1` (reason expired), in one transaction. Rows being
 * committed or swept by another replica at that moment are skipped (SKIP LOCKED), so replicas
 * share the work and none is released twice. Returns how many were released.
 *
 * Lock order (lock-commands.ts): the reservation rows, then every location of their SKUs in
 * (sku, location) order. It takes no order key: SKIP LOCKED means it never waits for a
 * reservation row, so it cannot close a cycle with a command that holds one; and it never
 * changes where a reservation's units are held, which a command reads under its order key.
 */
export async function expireReservations(deps: InventoryDeps, limit: number): Promise<number> {
  const result = await inTransaction(deps.db, async (trx) => {
    const now = deps.now();
    const due = await lockExpiredReservationsForUpdate(trx, now, limit);
    if (due.length === 0) return { released: 0, stockouts: 0 };
    const held = await findAllocationsOfOrders(
      trx,
      due.map((r) => r.orderId),
    );
    const skus = [...new Set([...held.values()].flat().map((a) => a.sku))];
    const stock = await lockStockOfSkusForUpdate(trx, skus);
    for (const r of due) await saveReservation(trx, expired(r, now));
    const { signals, stockouts } = await applyStockChanges(
      trx,
      stock,
      due.flatMap((r) =>
        (held.get(r.orderId) ?? []).map((a) => ({
          sku: a.sku,
          location: a.location,
          onHand: 0,
          reserved: -a.quantity,
          kind: 'expiry' as const,
          orderId: r.orderId,
        })),
      ),
      now,
    );
    await appendToOutbox(trx, deps.messages, [...signals, ...due.map((r) => reservationReleased(r.orderId, 'expired', r.lines, now))]);
    return { released: due.length, stockouts };
  });
  if (result.released) deps.metrics.reservationsExpired(result.released);
  if (result.stockouts) deps.metrics.stockedOut(result.stockouts);
  return result.released;
}
