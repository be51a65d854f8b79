import type { ProviderDeps } from './deps.js';
import { resourceMissing } from './errors.js';
import type { PaymentIntent } from './payment-intent.js';

/** The intent, or 404 resource_missing. */
export function getPaymentIntent(deps: ProviderDeps, id: string): PaymentIntent {
  const intent = deps.store.intent(id);
  if (!intent) throw resourceMissing('payment_intent', id);
  return intent;
}

/** The intents created for one order (metadata.order_id), oldest first. */
export function searchPaymentIntents(deps: ProviderDeps, orderId: string): PaymentIntent[] {
  return deps.store.intentsOfOrder(orderId);
}
