/** What confirming with a test payment method does (API.md, "Test payment methods"). */
export type CardOutcome =
  | { kind: 'authorized' }
  | { kind: 'declined'; declineCode: 'generic_decline' | 'insufficient_funds' }
  | { kind: 'requires_action' };

const TEST_CARDS: Record<string, CardOutcome> = {
  pm_card_visa: { kind: 'authorized' },
  pm_card_mastercard: { kind: 'authorized' },
  pm_card_chargeDeclined: { kind: 'declined', declineCode: 'generic_decline' },
  pm_card_chargeDeclinedInsufficientFunds: { kind: 'declined', declineCode: 'insufficient_funds' },
  pm_card_authenticationRequired: { kind: 'requires_action' },
};

/** The outcome of a test card, or undefined for a token the sandbox does not know. */
export function outcomeOf(paymentMethod: string): CardOutcome | undefined {
  return Object.hasOwn(TEST_CARDS, paymentMethod) ? TEST_CARDS[paymentMethod] : undefined;
}

/** The test card tokens, by what they do at confirm. */
export const TEST_PAYMENT_METHODS = {
  visa: 'pm_card_visa',
  mastercard: 'pm_card_mastercard',
  declined: 'pm_card_chargeDeclined',
  insufficientFunds: 'pm_card_chargeDeclinedInsufficientFunds',
  authenticationRequired: 'pm_card_authenticationRequired',
} as const;
