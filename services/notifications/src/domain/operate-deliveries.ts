import { authorize, type Principal } from '@emporium/auth';
import { inTransaction } from '@emporium/db';
import type { NotificationsDb } from '../data-access/db.js';
import { type DeliveryView, findDeliveries, insertDeliveryReplay, requeueParked } from '../data-access/deliveries-repository.js';
import type { Channel, DeliveryStatus } from '../data-access/tables.js';
import { notificationsPolicy } from '../policy.js';
import { deliveryNotFound, deliveryNotParked } from './errors.js';
import { requesterOf } from './requester.js';

/** Operators' view of deliveries, newest first: status, attempts, last error, who replayed them. */
export async function listDeliveries(
  db: NotificationsDb,
  principal: Principal,
  q: { orderId?: string | undefined; status?: DeliveryStatus | undefined; channel?: Channel | undefined; limit: number },
): Promise<DeliveryView[]> {
  authorize(notificationsPolicy(principal), 'read', 'Delivery');
  return findDeliveries(db, q);
}

/**
 * Sends a parked delivery again, with the same id (so a receiver that did get it deduplicates),
 * and a fresh retry schedule. Only a parked delivery can be requeued. Who asked is recorded in
 * the same transaction (the audit trail): no replay without its row, no row without its replay.
 */
export async function requeueDelivery(db: NotificationsDb, principal: Principal, id: string): Promise<DeliveryView> {
  authorize(notificationsPolicy(principal), 'replay', 'Delivery');
  // Read back in the same transaction: our row lock keeps a worker from claiming the delivery
  // until commit, so the answer shows it as requeued, not as already being attempted again.
  return inTransaction(db, async (trx) => {
    if (!(await requeueParked(trx, id))) {
      const [existing] = await findDeliveries(trx, { id, limit: 1 });
      throw existing ? deliveryNotParked(id) : deliveryNotFound(id);
    }
    await insertDeliveryReplay(trx, id, requesterOf(principal));
    const [view] = await findDeliveries(trx, { id, limit: 1 });
    return view as DeliveryView;
  });
}
