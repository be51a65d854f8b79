import type { NotificationsDb } from '../data-access/db.js';
import { type DeliveryView, findDeliveries, requeueParked } from '../data-access/deliveries-repository.js';
import type { Channel, DeliveryStatus } from '../data-access/tables.js';
import { deliveryNotFound, deliveryNotParked } from './errors.js';

/** Operators' view of deliveries, newest first: status, attempts, last error. */
export const listDeliveries = (
  db: NotificationsDb,
  q: { orderId?: string | undefined; status?: DeliveryStatus | undefined; channel?: Channel | undefined; limit: number },
): Promise<DeliveryView[]> => findDeliveries(db, q);

/**
 * Sends a parked delivery again, with the same id (so a receiver that did get it deduplicates),
 * and a fresh retry schedule. Only a parked delivery can be requeued.
 */
export async function requeueDelivery(db: NotificationsDb, id: string): Promise<DeliveryView> {
  if (!(await requeueParked(db, id))) {
    const [existing] = await findDeliveries(db, { id, limit: 1 });
    throw existing ? deliveryNotParked(id) : deliveryNotFound(id);
  }
  const [view] = await findDeliveries(db, { id, limit: 1 });
  return view as DeliveryView;
}
