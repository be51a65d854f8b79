import type { NotificationsDb } from '../data-access/db.js';
import { confirmationOf, type OrderConfirmed, type Source } from './notification-content.js';
import { recordNotification, rememberOrderContact } from './record-notification.js';

/** orders.order.confirmed.v1 → the confirmation, once per order, on every channel. */
export async function notifyOrderConfirmed(trx: NotificationsDb, data: OrderConfirmed, source: Source): Promise<void> {
  await rememberOrderContact(trx, { orderId: data.orderId, customerId: data.customerId, email: data.email });
  await recordNotification(trx, confirmationOf(data, source));
}
