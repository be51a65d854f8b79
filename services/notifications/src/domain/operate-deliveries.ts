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
  // Read back in the same transaction: our row lock keeps a worker from claiming the delivery
  // until commit, so the answer shows it as requeued, not as already being attempted again.
  return db.transaction().execute(async (trx) => {
    if (!(await requeueParked(trx, id))) {
      const [existing] = await findDeliveries(trx, { id, limit: 1 });
      throw existing ? deliveryNotParked(id) : deliveryNotFound(id);
    }
    const [view] = await findDeliveries(trx, { id, limit: 1 });
    return view as DeliveryView;
  });
}
