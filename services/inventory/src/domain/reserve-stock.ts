import type { InventoryReserveRequestedV1 } from '@emporium/contracts';
import type { DataOf } from '@emporium/messaging';
import { appendToOutbox } from '@emporium/messaging';
import type { InventoryTrx } from '../data-access/db.js';
import { insertReservation } from '../data-access/reservations-repository.js';
import type { InventoryDeps } from './deps.js';
import { reservationFailed, reservationSucceeded } from './events.js';
import type { HeldRows } from './held-rows.js';
import { allocate, demandOf } from './lines.js';
import { expiryOf, failedReservation, newReservation, type Reservation } from './reservation.js';
import { applyStockChanges } from './stock-change.js';

export type ReserveCommand = DataOf<typeof InventoryReserveRequestedV1>;

/**
 * Reserves every line of the order, all or nothing, in the transaction of the command's inbox
 * row. The order and the stock rows of its lines are already locked (`held`, lockForCommands);
 * units are allocated location by location, and the reservation row is written with its outcome;
 * the answer — `inventory.reservation.succeeded.v1` or `.failed.v1` — is committed with it. The
 * reservation lapses at the command's `expiresAt`, shortened to the configured TTL.
 *
 * Keyed by the order id: when the order already has a reservation, the command answers that
 * reserve's outcome again (succeeded with the lines and deadline it had, or failed with the same
 * shortages) and reserves nothing new — whatever the reservation became since, and whatever
 * lines the repeated command carries.
 */
export async function reserveStock(deps: InventoryDeps, trx: InventoryTrx, held: HeldRows, command: ReserveCommand): Promise<Reservation> {
  const existing = held.reservationOf(command.orderId)?.reservation;
  const now = deps.now();
  if (existing) {
    await appendToOutbox(trx, deps.messages, reserveAnswer(existing, now));
    return existing;
  }

  const lines = command.lines.map((l) => ({ sku: l.sku, quantity: l.quantity }));
  const demand = demandOf(lines);
  const stock = held.stockOf(demand.keys());
  const result = allocate(demand, stock);
  if (!result.ok) {
    const failed = failedReservation(command.orderId, lines, result.reason, result.shortages, now);
    await insertReservation(trx, failed, []);
    held.keepReservation({ reservation: failed, allocations: [] });
    await appendToOutbox(trx, deps.messages, reserveAnswer(failed, now));
    deps.metrics.reservationDecided(result.reason);
    return failed;
  }

  const reservation = newReservation(command.orderId, lines, expiryOf(new Date(command.expiresAt), now, deps.reservationTtlMs), now);
  await insertReservation(trx, reservation, result.allocations);
  held.keepReservation({ reservation, allocations: result.allocations });
  const { after, signals, stockouts } = await applyStockChanges(
    trx,
    stock,
    result.allocations.map((a) => ({
      sku: a.sku,
      location: a.location,
      onHand: 0,
      reserved: a.quantity,
      kind: 'reserve' as const,
      orderId: reservation.orderId,
    })),
    now,
  );
  held.keepStock(after);
  await appendToOutbox(trx, deps.messages, [...signals, reserveAnswer(reservation, now)]);
  deps.metrics.reservationDecided('succeeded');
  if (stockouts) deps.metrics.stockedOut(stockouts);
  return reservation;
}

/** What a reserve command answers for this reservation: failed if it is failed, else the success it had. */
function reserveAnswer(r: Reservation, now: Date) {
  return r.status === 'failed'
    ? reservationFailed(r.orderId, r.failureReason ?? 'out_of_stock', r.shortages ?? [], now)
    : reservationSucceeded(r.orderId, r.lines, r.expiresAt!, now);
}
