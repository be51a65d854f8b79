import type { NotificationsDb } from '../data-access/db.js';
import { cancellationOf, type OrderCancelled, type Source } from './notification-content.js';
import { recordNotification, rememberOrderContact } from './record-notification.js';

/** orders.order.cancelled.v1 → the cancellation with its reason, once per order, on every channel. */
export async function notifyOrderCancelled(trx: NotificationsDb, data: OrderCancelled, source: Source): Promise<void> {
  await rememberOrderContact(trx, { orderId: data.orderId, customerId: data.customerId, email: data.email });
  await recordNotification(trx, cancellationOf(data, source));
}
