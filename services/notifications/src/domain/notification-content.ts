import type { OrdersOrderCancelledV1, OrdersOrderConfirmedV1, PaymentsRefundSucceededV1 } from '@emporium/contracts';
import type { DataOf } from '@emporium/messaging';
import type { NotificationKind } from '../data-access/tables.js';
import { formatMoney } from './money.js';
import { notificationIdOf } from './stable-id.js';

export type OrderConfirmed = DataOf<typeof OrdersOrderConfirmedV1>;
export type OrderCancelled = DataOf<typeof OrdersOrderCancelledV1>;
export type RefundSucceeded = DataOf<typeof PaymentsRefundSucceededV1>;

/** Where a notification came from: the message that told us, and when it happened. */
export interface Source {
  messageId: string;
  occurredAt: Date;
}

/** Everything to tell, once, on every channel; written with the notification, so every retry sends the same. */
export interface NotificationDraft {
  id: string;
  orderId: string;
  kind: NotificationKind;
  ref: string;
  customerId: string;
  /** null when the message did not carry it (a refund); filled from the order's confirmation or cancellation. */
  email: string | null;
  occurredAt: Date;
  sourceMessageId: string;
  emailSubject: string;
  emailText: string;
  feedTitle: string;
  feedBody: string;
  /** Standard Webhooks payload: { type, timestamp, data }; no personal data of the customer. */
  webhookBody: string;
}

/** Partner-facing event type of each kind. */
export const WEBHOOK_TYPES: Record<NotificationKind, string> = {
  order_confirmed: 'order.confirmed',
  order_cancelled: 'order.cancelled',
  payment_refunded: 'payment.refunded',
};

const shortId = (orderId: string) => orderId.slice(0, 8).toUpperCase();
const SIGNATURE = '\nEmporium';
const webhookBody = (kind: NotificationKind, occurredAt: Date, data: Record<string, unknown>) =>
  JSON.stringify({ type: WEBHOOK_TYPES[kind], timestamp: occurredAt.toISOString(), data });

export function confirmationOf(data: OrderConfirmed, source: Source): NotificationDraft {
  const lines = data.lines.map((l) => {
    const lineTotal = { amount: l.unitPrice.amount * l.quantity, currency: l.unitPrice.currency };
    return `  ${l.quantity} × ${l.name} (${l.sku}) at ${formatMoney(l.unitPrice)} = ${formatMoney(lineTotal)}`;
  });
  const total = formatMoney(data.total);
  return {
    id: notificationIdOf(data.orderId, 'order_confirmed', ''),
    orderId: data.orderId,
    kind: 'order_confirmed',
    ref: '',
    customerId: data.customerId,
    email: data.email,
    occurredAt: source.occurredAt,
    sourceMessageId: source.messageId,
    emailSubject: `Your Emporium order ${shortId(data.orderId)} is confirmed`,
    emailText: [
      'Hello,',
      '',
      'thank you for your order. It is confirmed and we are getting it ready.',
      '',
      `Order: ${data.orderId}`,
      '',
      ...lines,
      '',
      `Total: ${total}`,
      '',
      'You can follow your order in your account.',
      SIGNATURE,
    ].join('\n'),
    feedTitle: 'Order confirmed',
    feedBody: `Your order ${shortId(data.orderId)} is confirmed. Total: ${total}.`,
    webhookBody: webhookBody('order_confirmed', source.occurredAt, {
      orderId: data.orderId,
      total: data.total,
      lines: data.lines.map((l) => ({ sku: l.sku, name: l.name, quantity: l.quantity, unitPrice: l.unitPrice })),
    }),
  };
}

export function cancellationOf(data: OrderCancelled, source: Source): NotificationDraft {
  const money = data.refunded ? 'The amount you paid has been refunded to your payment method.' : 'You have not been charged for it.';
  return {
    id: notificationIdOf(data.orderId, 'order_cancelled', ''),
    orderId: data.orderId,
    kind: 'order_cancelled',
    ref: '',
    customerId: data.customerId,
    email: data.email,
    occurredAt: source.occurredAt,
    sourceMessageId: source.messageId,
    emailSubject: `Your Emporium order ${shortId(data.orderId)} was cancelled`,
    emailText: ['Hello,', '', `your order ${data.orderId} was cancelled.`, '', `Reason: ${data.reason}`, '', money, SIGNATURE].join('\n'),
    feedTitle: 'Order cancelled',
    feedBody: `Your order ${shortId(data.orderId)} was cancelled: ${data.reason}`,
    webhookBody: webhookBody('order_cancelled', source.occurredAt, { orderId: data.orderId, reason: data.reason, refunded: data.refunded }),
  };
}

export function refundOf(data: RefundSucceeded, source: Source, email: string | null): NotificationDraft {
  const amount = formatMoney(data.amount);
  return {
    id: notificationIdOf(data.orderId, 'payment_refunded', data.refundId),
    orderId: data.orderId,
    kind: 'payment_refunded',
    ref: data.refundId,
    customerId: data.customerId,
    email,
    occurredAt: source.occurredAt,
    sourceMessageId: source.messageId,
    emailSubject: `Your refund of ${amount} for order ${shortId(data.orderId)}`,
    emailText: [
      'Hello,',
      '',
      `we refunded ${amount} for your order ${data.orderId} to your payment method.`,
      'It may take a few days to show on your statement.',
      '',
      `Refund reference: ${data.refundId}`,
      SIGNATURE,
    ].join('\n'),
    feedTitle: 'Refund issued',
    feedBody: `We refunded ${amount} for your order ${shortId(data.orderId)}.`,
    webhookBody: webhookBody('payment_refunded', source.occurredAt, {
      orderId: data.orderId,
      refundId: data.refundId,
      amount: data.amount,
    }),
  };
}
