import { findAllocations, findReservation } from '../data-access/reservations-repository.js';
import type { InventoryDeps } from './deps.js';
import { reservationNotFound } from './errors.js';
import type { Allocation } from './lines.js';
import type { Reservation } from './reservation.js';

/** The order's reservation and where its units are (or were last) held; none → 404 reservation_not_found. */
export async function getReservation(
  deps: InventoryDeps,
  orderId: string,
): Promise<{ reservation: Reservation; allocations: Allocation[] }> {
  const reservation = await findReservation(deps.db, orderId);
  if (!reservation) throw reservationNotFound(orderId);
  return { reservation, allocations: await findAllocations(deps.db, orderId) };
}
