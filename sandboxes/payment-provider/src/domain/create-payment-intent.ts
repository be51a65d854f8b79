import { type ProviderDeps, unixSeconds } from './deps.js';
import { cardDeclined, paymentMethodInvalid } from './errors.js';
import { PaymentIntent } from './payment-intent.js';
import { recordChange } from './record-change.js';
import { outcomeOf } from './test-cards.js';

export interface CreatePaymentIntentInput {
  amount: number;
  currency: string;
  paymentMethod: string;
  metadata: Record<string, string> & { order_id: string };
}

/**
 * Creates and confirms a manual-capture intent with a test card: authorized → requires_capture
 * (an authorization in the ledger); authentication required → requires_action; declined → the
 * intent stays at requires_payment_method and the call fails with 402 card_declined.
 * An unknown token creates nothing.
 */
export function createPaymentIntent(deps: ProviderDeps, input: CreatePaymentIntentInput): PaymentIntent {
  const outcome = outcomeOf(input.paymentMethod);
  if (!outcome) throw paymentMethodInvalid();
  const intent = new PaymentIntent(
    deps.newId('pi'),
    input.amount,
    input.currency.toLowerCase(),
    { ...input.metadata },
    unixSeconds(deps.now()),
  );
  deps.store.addIntent(intent);
  switch (outcome.kind) {
    case 'authorized':
      recordChange(deps, intent, intent.authorize(deps.newId('ch')));
      return intent;
    case 'requires_action':
      recordChange(deps, intent, intent.requireAction());
      return intent;
    case 'declined': {
      const message = outcome.declineCode === 'insufficient_funds' ? 'Your card has insufficient funds.' : 'Your card was declined.';
      recordChange(deps, intent, intent.fail({ code: 'card_declined', decline_code: outcome.declineCode, message }, deps.newId('ch')));
      throw cardDeclined(outcome.declineCode, intent.view());
    }
  }
}
