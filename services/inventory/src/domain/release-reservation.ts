import type { InventoryReleaseRequestedV1 } from '@emporium/contracts';
import type { DataOf } from '@emporium/messaging';
import { appendToOutbox } from '@emporium/messaging';
import type { InventoryTrx } from '../data-access/db.js';
import { findAllocations, lockOrderKey, lockReservationForUpdate, saveReservation } from '../data-access/reservations-repository.js';
import { lockStockOfSkusForUpdate } from '../data-access/stock-repository.js';
import type { InventoryDeps } from './deps.js';
import { reservationReleased } from './events.js';
import { type Reservation, released } from './reservation.js';
import { applyStockChanges } from './stock-change.js';

export type ReleaseCommand = DataOf<typeof InventoryReleaseRequestedV1>;

/**
 * Compensation: gives the order's units back, answering `inventory.reservation.released.v1`.
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
  command: ReleaseCommand,
): Promise<Reservation | undefined> {
  const { orderId } = command;
  await lockOrderKey(trx, orderId);
  const reservation = await lockReservationForUpdate(trx, orderId);
  const now = deps.now();

  if (reservation?.status === 'reserved' || reservation?.status === 'committed') {
    const wasCommitted = reservation.status === 'committed';
    const held = await findAllocations(trx, orderId);
    const stock = await lockStockOfSkusForUpdate(trx, [...new Set(held.map((a) => a.sku))]);
    const next = released(reservation, now);
    await saveReservation(trx, next);
    await applyStockChanges(
      deps,
      trx,
      stock,
      held.map((a) => ({
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
    await appendToOutbox(trx, deps.messages, reservationReleased(orderId, 'requested', next.lines, now));
    return next;
  }

  const answer =
    reservation?.status === 'released' || reservation?.status === 'expired'
      ? reservationReleased(orderId, reservation.status === 'expired' ? 'expired' : 'requested', reservation.lines, now)
      : reservationReleased(orderId, 'requested', [], now);
  await appendToOutbox(trx, deps.messages, answer);
  return reservation;
}
