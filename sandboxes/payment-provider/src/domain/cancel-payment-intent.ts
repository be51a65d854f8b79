import type { ProviderDeps } from './deps.js';
import type { PaymentIntent } from './payment-intent.js';
import { getPaymentIntent } from './read-payment-intents.js';
import { recordChange } from './record-change.js';

/** Cancels an intent that is not succeeded; a held authorization is voided. */
export function cancelPaymentIntent(deps: ProviderDeps, id: string, reason: string | null): PaymentIntent {
  const intent = getPaymentIntent(deps, id);
  recordChange(deps, intent, intent.cancel(reason));
  return intent;
}
