import { type ProviderDeps, unixSeconds } from './deps.js';
import { getPaymentIntent } from './read-payment-intents.js';
import type { RefundView } from './refund.js';

export interface CreateRefundInput {
  paymentIntentId: string;
  /** Default: all that is left (captured minus refunded). */
  amount?: number;
  metadata?: Record<string, string>;
}

/** Refunds part or all of a captured intent; never more than captured minus refunded (amount_too_large). */
export function createRefund(deps: ProviderDeps, input: CreateRefundInput): RefundView {
  const intent = getPaymentIntent(deps, input.paymentIntentId);
  const amount = intent.refund(input.amount);
  const at = deps.now();
  const refund: RefundView = {
    id: deps.newId('re'),
    object: 'refund',
    amount,
    currency: intent.currency,
    payment_intent: intent.id,
    status: 'succeeded',
    metadata: { ...(input.metadata ?? {}) },
    created: unixSeconds(at),
  };
  deps.store.addRefund(refund);
  deps.ledger.append({
    at: at.toISOString(),
    kind: 'refund',
    payment_intent: intent.id,
    amount,
    currency: intent.currency,
    order_id: intent.orderId,
  });
  deps.metrics.moneyMoved('refund', amount);
  deps.events.publish({ id: deps.newId('evt'), type: 'refund.created', created: unixSeconds(at), data: { object: refund } });
  return refund;
}

/** Refunds, oldest first; only those of one intent when given. */
export function listRefunds(deps: ProviderDeps, paymentIntentId?: string): RefundView[] {
  return deps.store.refunds(paymentIntentId);
}
