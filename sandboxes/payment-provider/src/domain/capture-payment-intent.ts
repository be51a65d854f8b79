import type { ProviderDeps } from './deps.js';
import type { PaymentIntent } from './payment-intent.js';
import { getPaymentIntent } from './read-payment-intents.js';
import { recordChange } from './record-change.js';

/** Captures an authorized intent (all of it, or `amountToCapture` ≤ amount_capturable) → succeeded. */
export function capturePaymentIntent(deps: ProviderDeps, id: string, amountToCapture?: number): PaymentIntent {
  const intent = getPaymentIntent(deps, id);
  recordChange(deps, intent, intent.capture(amountToCapture));
  return intent;
}
