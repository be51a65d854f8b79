import { lockOrderContact, upsertOrderContact } from '../data-access/contacts-repository.js';
import type { NotificationsDb } from '../data-access/db.js';
import { insertDeliveries, type NewDelivery, releaseEmailsAwaitingAddress } from '../data-access/deliveries-repository.js';
import { activeEndpointIds } from '../data-access/endpoints-repository.js';
import { insertNotification } from '../data-access/notifications-repository.js';
import type { NotificationDraft } from './notification-content.js';
import { deliveryIdOf } from './stable-id.js';

/**
 * Records a notification and one delivery per channel — the e-mail, one webhook per active partner
 * endpoint, and the feed entry (delivered right here: writing it is delivering it) — in the
 * caller's transaction (the inbox's). Nothing is sent here; the delivery worker sends after the
 * commit. If the notification exists already (the same event published again under another
 * message id), nothing changes: one notification per order, kind and reference.
 */
export async function recordNotification(trx: NotificationsDb, draft: NotificationDraft): Promise<{ created: boolean }> {
  const created = await insertNotification(trx, draft);
  if (!created) return { created: false };
  // Share-locked: an endpoint being removed right now is either waited for or not seen.
  const endpoints = await activeEndpointIds(trx);
  const base = { notificationId: draft.id, customerId: draft.customerId };
  const deliveries: NewDelivery[] = [
    {
      ...base,
      id: deliveryIdOf(draft.id, 'email', null),
      channel: 'email',
      endpointId: null,
      recipient: draft.email,
      status: draft.email ? 'pending' : 'awaiting_address',
    },
    ...endpoints.map(
      (endpointId): NewDelivery => ({
        ...base,
        id: deliveryIdOf(draft.id, 'webhook', endpointId),
        channel: 'webhook',
        endpointId,
        recipient: null,
        status: 'pending',
      }),
    ),
    { ...base, id: deliveryIdOf(draft.id, 'feed', null), channel: 'feed', endpointId: null, recipient: null, status: 'delivered' },
  ];
  await insertDeliveries(trx, deliveries);
  return { created: true };
}

/** Keeps the order's address, and lets e-mails that waited for it go (a refund told before the order's end). */
export async function rememberOrderContact(trx: NotificationsDb, c: { orderId: string; customerId: string; email: string }): Promise<void> {
  await lockOrderContact(trx, c.orderId);
  await upsertOrderContact(trx, c);
  await releaseEmailsAwaitingAddress(trx, c.orderId, c.email);
}
