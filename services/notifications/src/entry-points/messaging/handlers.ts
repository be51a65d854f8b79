import { OrdersOrderCancelledV1, OrdersOrderConfirmedV1, PaymentsRefundSucceededV1 } from '@emporium/contracts';
import type { Envelope, InboxHandler } from '@emporium/messaging';
import type { NotificationsDatabase } from '../../data-access/tables.js';
import type { OrderCancelled, OrderConfirmed, RefundSucceeded, Source } from '../../domain/notification-content.js';
import { notifyOrderCancelled } from '../../domain/notify-order-cancelled.js';
import { notifyOrderConfirmed } from '../../domain/notify-order-confirmed.js';
import { notifyRefund } from '../../domain/notify-refund.js';

/** The messages notifications consumes (validated by the runtime against these schemas). */
export const consumedMessages = [OrdersOrderConfirmedV1, OrdersOrderCancelledV1, PaymentsRefundSucceededV1];

const sourceOf = (envelope: Envelope): Source => ({ messageId: envelope.id, occurredAt: new Date(envelope.time) });

/**
 * Thin consumers: each runs in the inbox transaction and only records (database work); the
 * delivery worker sends after the commit.
 */
export const notificationHandlers: Record<string, InboxHandler<NotificationsDatabase>> = {
  [OrdersOrderConfirmedV1.type]: (trx, envelope) => notifyOrderConfirmed(trx, envelope.data as OrderConfirmed, sourceOf(envelope)),
  [OrdersOrderCancelledV1.type]: (trx, envelope) => notifyOrderCancelled(trx, envelope.data as OrderCancelled, sourceOf(envelope)),
  [PaymentsRefundSucceededV1.type]: (trx, envelope) => notifyRefund(trx, envelope.data as RefundSucceeded, sourceOf(envelope)),
};
