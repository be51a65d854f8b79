import type { InventoryReleaseRequestedV1 } from '@emporium/contracts';
import type { DataOf } from '@emporium/messaging';
import { appendToOutbox } from '@emporium/messaging';
import type { InventoryTrx } from '../data-access/db.js';
import { saveReservation } from '../data-access/reservations-repository.js';
import type { InventoryDeps } from './deps.js';
import { reservationReleased } from './events.js';
import type { HeldRows } from './held-rows.js';
import { type Reservation, released } from './reservation.js';
import { applyStockChanges } from './stock-change.js';

export type ReleaseCommand = DataOf<typeof InventoryReleaseRequestedV1>;

/**
 * Compensation: gives the order's units back, answering `inventory.reservation.released.v1`. The
 * order and its stock rows are already locked (`held`).
 *
 * - reserved → released (reason requested): reserved goes down, so the units are available again.
 * - committed → released (reason requested): the order is cancelled after its commit (e.g. the
 *   capture failed), so the units it took go back on hand where they were taken (I6: a cancelled
 *   order holds no stock).
 * - released or expired → the released event again with its reason and lines; nothing changes.
 * - failed or no reservation → released (requested) with no lines; nothing changes.
 */
export async function releaseReservation(
  deps: InventoryDeps,
  trx: InventoryTrx,
  held: HeldRows,
  command: ReleaseCommand,
): Promise<Reservation | undefined> {
  const { orderId } = command;
  const current = held.reservationOf(orderId);
  const reservation = current?.reservation;
  const now = deps.now();

  if (current && (reservation?.status === 'reserved' || reservation?.status === 'committed')) {
    const wasCommitted = reservation.status === 'committed';
    const { allocations } = current;
    const stock = held.stockOf(allocations.map((a) => a.sku));
    const next = released(reservation, now);
    await saveReservation(trx, next);
    held.keepReservation({ reservation: next, allocations });
    const { after, signals } = await applyStockChanges(
      trx,
      stock,
      allocations.map((a) => ({
        sku: a.sku,
        location: a.location,
        onHand: wasCommitted ? a.quantity : 0,
        reserved: wasCommitted ? 0 : -a.quantity,
        kind: 'release' as const,
        orderId,
        ...(wasCommitted ? { reason: 'returned after commit' } : {}),
      })),
      now,
    );
    held.keepStock(after);
    await appendToOutbox(trx, deps.messages, [...signals, reservationReleased(orderId, 'requested', next.lines, now)]);
    return next;
  }

  const answer =
    reservation?.status === 'released' || reservation?.status === 'expired'
      ? reservationReleased(orderId, reservation.status === 'expired' ? 'expired' : 'requested', reservation.lines, now)
      : reservationReleased(orderId, 'requested', [], now);
  await appendToOutbox(trx, deps.messages, answer);
  return reservation;
}
