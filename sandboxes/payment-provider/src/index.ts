import type { ServiceModule } from '@emporium/service';
import { buildPaymentProviderApp } from './app.js';
import { type PaymentProviderConfig, paymentProviderConfig } from './config.js';

/**
 * TEST DOUBLE of a third-party card payment provider (Stripe-like API, see API.md): payment
 * intents with manual capture, refunds, idempotency keys, signed webhooks, switchable faults and
 * a ledger of every money movement (the oracle). State in memory; no database, no messaging.
 * Never a dependency of a service in production.
 */
export const paymentProviderModule: ServiceModule<unknown, PaymentProviderConfig> = {
  name: 'payment-provider',
  description:
    'TEST DOUBLE (sandbox) of a third-party card payment provider: payment intents, refunds, idempotency keys, signed webhooks, injectable faults and a ledger oracle. Not a real provider.',
  configSchema: paymentProviderConfig,
  buildApp: buildPaymentProviderApp,
};

export { paymentProviderConfig, type PaymentProviderConfig };
export { startPaymentProvider, type PaymentProviderHandle, type FaultRuleInput } from './start.js';
export { TEST_PAYMENT_METHODS } from './domain/test-cards.js';
export type { LedgerEntry, LedgerKind } from './domain/ledger.js';
export type { PaymentIntentView, IntentStatus } from './domain/payment-intent.js';
export type { RefundView } from './domain/refund.js';
export type { ProviderEvent, EventType } from './domain/deps.js';
