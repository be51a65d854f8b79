import { randomUUID } from 'node:crypto';
import {
  PaymentsAuthorizationFailedV1,
  PaymentsAuthorizationSucceededV1,
  PaymentsCaptureFailedV1,
  PaymentsCaptureSucceededV1,
  PaymentsPaymentVoidedV1,
  PaymentsRefundFailedV1,
  PaymentsRefundSucceededV1,
} from '@emporium/contracts';
import { MessageRegistry } from '@emporium/messaging';
import type { ServiceModule } from '@emporium/service';
import { buildPaymentsApp, paymentsJobs } from './app.js';
import { type PaymentsConfig, paymentsConfig } from './config.js';
import { paymentsMigrations } from './data-access/migrations/index.js';
import type { PaymentsDatabase } from './data-access/tables.js';
import { commandHandlers, consumedCommands } from './entry-points/messaging/handlers.js';

const published = [
  PaymentsAuthorizationSucceededV1,
  PaymentsAuthorizationFailedV1,
  PaymentsCaptureSucceededV1,
  PaymentsCaptureFailedV1,
  PaymentsPaymentVoidedV1,
  PaymentsRefundSucceededV1,
  PaymentsRefundFailedV1,
];

/**
 * The payments service: one payment per order, authorized, captured, voided and refunded at the
 * external provider through operations whose idempotency keys are committed before any call;
 * provider webhooks; reconciliation with the provider; a ledger of every money movement.
 */
export const paymentsModule: ServiceModule<PaymentsDatabase, PaymentsConfig> = {
  name: 'payments',
  description:
    'Payments against the external provider: authorize, capture, void and refund (each provider call with a key committed first), webhooks, reconciliation, the ledger',
  configSchema: paymentsConfig,
  migrations: paymentsMigrations,
  publishes: published,
  consumes: {
    definitions: consumedCommands,
    // The handlers only write to the inbox transaction they are given: they need the message
    // schemas, ids and the clock — nothing that belongs to one running instance.
    handlers: commandHandlers({
      messages: new MessageRegistry([...published, ...consumedCommands]),
      newId: randomUUID,
      now: () => new Date(),
    }),
  },
  buildApp: buildPaymentsApp,
  jobs: paymentsJobs,
};

export { paymentsConfig, type PaymentsConfig };
export { paymentsMigrations };
export type { PaymentsDatabase };
export { adminRefundIdOf } from './domain/admin-refund.js';
