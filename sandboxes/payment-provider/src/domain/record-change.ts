import { type ProviderDeps, unixSeconds } from './deps.js';
import type { Change, PaymentIntent } from './payment-intent.js';

/**
 * Makes a transition visible: its money movement goes to the ledger (the oracle) and its event
 * to the webhooks, both in the same synchronous step as the state change itself.
 */
export function recordChange(deps: ProviderDeps, intent: PaymentIntent, change: Change): void {
  const at = deps.now();
  if (change.movement) {
    deps.ledger.append({
      at: at.toISOString(),
      kind: change.movement.kind,
      payment_intent: intent.id,
      amount: change.movement.amount,
      currency: intent.currency,
      order_id: intent.orderId,
    });
    deps.metrics.moneyMoved(change.movement.kind, change.movement.amount);
  }
  deps.events.publish({
    id: deps.newId('evt'),
    type: change.event,
    created: unixSeconds(at),
    data: { object: intent.view() },
  });
}
