import { formatMoney } from './money.js';
import type { OrderData } from './order-data.js';

/** What a customer reads about their order: each step, when, what happened, and why for a failure. */
export const TIMELINE_STEPS = [
  'placeOrder',
  'reserveStock',
  'authorizePayment',
  'capturePayment',
  'commitStock',
  'confirm',
  'cancel',
  'releaseStock',
  'voidPayment',
  'refundPayment',
] as const;
export type TimelineStep = (typeof TIMELINE_STEPS)[number];

export const TIMELINE_STATUSES = ['requested', 'started', 'succeeded', 'failed', 'retried'] as const;
export type TimelineStatus = (typeof TIMELINE_STATUSES)[number];

export interface TimelineEntry {
  step: TimelineStep;
  status: TimelineStatus;
  at: Date;
  /** Plain words: what happened. */
  detail: string;
  /** Plain words: why, for a failure. */
  reason?: string | undefined;
}

const items = (order: OrderData) => {
  const n = order.lines.reduce((sum, l) => sum + l.quantity, 0);
  return n === 1 ? '1 item' : `${n} items`;
};

/** The words of the timeline, in one place. */
export const say = {
  placed: (o: OrderData) => `We received your order of ${items(o)} for ${formatMoney(o.total)}.`,
  reserving: () => 'Reserving your items.',
  reserved: (until: Date) => `Your items are reserved for you until ${until.toISOString()}.`,
  notReserved: () => 'Your items could not be reserved.',
  authorizing: (o: OrderData) => `Asking your card issuer to authorize ${formatMoney(o.total)}.`,
  authorized: (o: OrderData) => `Your payment of ${formatMoney(o.total)} is authorized; nothing is charged yet.`,
  notAuthorized: () => 'Your payment was not authorized.',
  capturing: (o: OrderData) => `Charging ${formatMoney(o.total)}.`,
  captured: (o: OrderData) => `Your payment of ${formatMoney(o.total)} was charged.`,
  notCaptured: () => 'Your payment could not be charged; nothing was taken.',
  committing: () => 'Setting your items aside for shipping.',
  committed: () => 'Your items are set aside for shipping.',
  notCommitted: () => 'Your items could not be set aside for shipping: the hold on them had expired and they were sold out.',
  confirmed: (o: OrderData) => `Your order is confirmed. A confirmation is on its way to ${o.email}.`,
  retried: (attempt: number) => `No answer yet; asking again (attempt ${attempt}).`,
  stillWaiting: () => 'Still waiting for an answer; we keep asking, and nothing is ever charged twice.',
  cancelRequested: () => 'You asked to cancel. The cancellation completes as soon as the payment step in progress has finished.',
  cancelled: () => 'Your order is cancelled.',
  cancelledRefunded: (o: OrderData) => `Your order is cancelled and ${formatMoney(o.total)} is refunded.`,
  releasing: () => 'Returning your reserved items to stock.',
  released: () => 'Your reserved items were returned to stock.',
  holdExpired: () => 'The hold on your items expired.',
  voiding: () => 'Releasing the hold on your payment method.',
  voided: () => 'The hold on your payment method is released; nothing was charged.',
  refunding: (o: OrderData) => `Refunding ${formatMoney(o.total)}.`,
  refunded: (o: OrderData) => `${formatMoney(o.total)} was refunded to your payment method.`,
  refundFailed: () => 'The refund could not be made automatically; our staff will take care of it.',
  lateCharge: () => 'A payment was taken after the order was cancelled; it is being refunded.',
};

/** Why an order was cancelled, in plain words (also sent in orders.order.cancelled.v1). */
export const because = {
  customer: 'Cancelled at your request.',
  outOfStock: (shortages: { sku: string; requested: number; available: number }[]) =>
    shortages.length === 0
      ? 'Some items are out of stock.'
      : `Not enough stock: ${shortages.map((s) => `${s.sku} (asked ${s.requested}, ${s.available} available)`).join(', ')}.`,
  unknownSku: 'Some items are no longer sold.',
  reserveTimedOut: 'We could not reserve your items in time.',
  paymentAbandoned: 'The payment was not completed before the hold on your items expired.',
  holdExpired: 'The hold on your items expired before the payment was completed.',
  amountMismatch: 'The payment could not be processed.',
};
