import { findOrderEmail, lockOrderContact } from '../data-access/contacts-repository.js';
import type { NotificationsDb } from '../data-access/db.js';
import { type RefundSucceeded, refundOf, type Source } from './notification-content.js';
import { recordNotification } from './record-notification.js';

/**
 * payments.refund.succeeded.v1 → the refund with its amount, once per refund, on every channel.
 * The event carries no e-mail address: it comes from the order's confirmation or cancellation;
 * if neither has arrived yet, the e-mail waits for it (the feed and the webhooks do not).
 */
export async function notifyRefund(trx: NotificationsDb, data: RefundSucceeded, source: Source): Promise<void> {
  await lockOrderContact(trx, data.orderId);
  const email = (await findOrderEmail(trx, data.orderId)) ?? null;
  await recordNotification(trx, refundOf(data, source, email));
}
