import type { InventoryCommitRequestedV1 } from '@emporium/contracts';
import type { DataOf } from '@emporium/messaging';
import { appendToOutbox } from '@emporium/messaging';
import type { InventoryTrx } from '../data-access/db.js';
import { replaceAllocations, saveReservation } from '../data-access/reservations-repository.js';
import type { InventoryDeps } from './deps.js';
import { reservationCommitted, reservationFailed } from './events.js';
import type { HeldRows } from './held-rows.js';
import { allocate, demandOf } from './lines.js';
import { committed, lateCommitFailed, type Reservation } from './reservation.js';
import { applyStockChanges } from './stock-change.js';

export type CommitCommand = DataOf<typeof InventoryCommitRequestedV1>;

/**
 * Turns the order's reservation into a sale: on hand and reserved both go down by the units held
 * (available does not change). The order and its stock rows are already locked (`held`). The
 * orchestrator commits only after a successful reservation and before its deadline; every other
 * case is decided here so that stock is never sold twice:
 *
 * - reserved → committed, `inventory.reservation.committed.v1`. Also when its deadline has passed
 *   but the expiry sweep has not released it yet: its units are still held, so nothing is oversold.
 * - committed → the committed event again; nothing changes.
 * - expired (a late commit; its units went back to the shelf and may be sold to others): the units
 *   are never taken without holding them. The lines are reserved again, all or nothing, and
 *   committed at once when stock allows → committed. Otherwise → `inventory.reservation.failed.v1`
 *   (out_of_stock, with the shortages) and the reservation becomes failed, so orders compensates
 *   and any later commit of the order gets the same answer.
 * - released (its release was requested: the order is being cancelled): refused, nothing changes,
 *   → failed (out_of_stock; each line with 0 available, as nothing is held for the order any
 *   more). Stock is never taken again for an order that gave it back.
 * - failed → the failed event again, with the reason and shortages it has.
 * - no reservation → failed (out_of_stock, no shortages); nothing is recorded.
 */
export async function commitReservation(
  deps: InventoryDeps,
  trx: InventoryTrx,
  held: HeldRows,
  command: CommitCommand,
): Promise<Reservation | undefined> {
  const { orderId } = command;
  const current = held.reservationOf(orderId);
  const reservation = current?.reservation;
  const now = deps.now();
  const answer = (r: Reservation | undefined) =>
    !r
      ? reservationFailed(orderId, 'out_of_stock', [], now)
      : r.status === 'committed'
        ? reservationCommitted(orderId, r.lines, now)
        : r.status === 'failed'
          ? reservationFailed(orderId, r.failureReason ?? 'out_of_stock', r.shortages ?? [], now)
          : reservationFailed(
              orderId,
              'out_of_stock',
              [...demandOf(r.lines)].map(([sku, requested]) => ({ sku, requested, available: 0 })),
              now,
            );

  if (current && reservation?.status === 'reserved') {
    const { allocations } = current;
    const stock = held.stockOf(allocations.map((a) => a.sku));
    const next = committed(reservation, now);
    await saveReservation(trx, next);
    held.keepReservation({ reservation: next, allocations });
    const { after, signals } = await applyStockChanges(
      trx,
      stock,
      allocations.map((a) => ({
        sku: a.sku,
        location: a.location,
        onHand: -a.quantity,
        reserved: -a.quantity,
        kind: 'commit' as const,
        orderId,
      })),
      now,
    );
    held.keepStock(after);
    await appendToOutbox(trx, deps.messages, [...signals, answer(next)]);
    return next;
  }

  if (reservation?.status === 'expired') {
    const demand = demandOf(reservation.lines);
    const stock = held.stockOf(demand.keys());
    const result = allocate(demand, stock);
    if (!result.ok) {
      const failed = lateCommitFailed(reservation, result.shortages, now);
      await saveReservation(trx, failed);
      held.keepReservation({ reservation: failed, allocations: current?.allocations ?? [] });
      await appendToOutbox(trx, deps.messages, answer(failed));
      return failed;
    }
    // Reserved and committed in one step: the journal shows both, so reserved stays balanced.
    const next = committed(reservation, now);
    await saveReservation(trx, next);
    await replaceAllocations(trx, orderId, result.allocations);
    held.keepReservation({ reservation: next, allocations: result.allocations });
    const { after, signals, stockouts } = await applyStockChanges(
      trx,
      stock,
      result.allocations.flatMap((a) => [
        { sku: a.sku, location: a.location, onHand: 0, reserved: a.quantity, kind: 'reserve' as const, orderId },
        { sku: a.sku, location: a.location, onHand: -a.quantity, reserved: -a.quantity, kind: 'commit' as const, orderId },
      ]),
      now,
    );
    held.keepStock(after);
    if (stockouts) deps.metrics.stockedOut(stockouts);
    await appendToOutbox(trx, deps.messages, [...signals, answer(next)]);
    return next;
  }

  await appendToOutbox(trx, deps.messages, answer(reservation));
  return reservation;
}
