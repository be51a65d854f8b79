import type { NotificationsDb } from './db.js';
import type { NotificationKind } from './tables.js';

export interface NotificationRecord {
  id: string;
  orderId: string;
  kind: NotificationKind;
  ref: string;
  customerId: string;
  occurredAt: Date;
  emailSubject: string;
  emailText: string;
  feedTitle: string;
  feedBody: string;
  webhookBody: string;
  sourceMessageId: string;
}

/** Inserts the notification unless one exists for (order, kind, ref); true when it was new. */
export async function insertNotification(db: NotificationsDb, n: NotificationRecord): Promise<boolean> {
  const row = await db
    .insertInto('notifications')
    .values({
      id: n.id,
      order_id: n.orderId,
      kind: n.kind,
      ref: n.ref,
      customer_id: n.customerId,
      occurred_at: n.occurredAt,
      email_subject: n.emailSubject,
      email_text: n.emailText,
      feed_title: n.feedTitle,
      feed_body: n.feedBody,
      webhook_body: n.webhookBody,
      source_message_id: n.sourceMessageId,
    })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}
