import type { ProviderDeps } from './deps.js';
import { unexpectedState } from './errors.js';
import type { PaymentIntent } from './payment-intent.js';
import { getPaymentIntent } from './read-payment-intents.js';
import { recordChange } from './record-change.js';

/**
 * Plays the customer finishing (or failing) 3-D Secure on an intent in requires_action:
 * succeed → requires_capture with an authorization; fail → requires_payment_method with
 * last_payment_error `authentication_failed`.
 */
export function completeAction(deps: ProviderDeps, id: string, outcome: 'succeed' | 'fail'): PaymentIntent {
  const intent = getPaymentIntent(deps, id);
  if (intent.status !== 'requires_action') throw unexpectedState('complete the action of', intent, intent.view());
  const change =
    outcome === 'succeed'
      ? intent.authorize(deps.newId('ch'))
      : intent.fail({ code: 'authentication_failed', message: 'The customer did not complete the authentication.' }, null);
  recordChange(deps, intent, change);
  return intent;
}
