import { defineConfig, int, intList, str, url } from '@emporium/config';
import { authConfig, databaseConfig, httpConfig, messagingConfig } from '@emporium/service';

/** The payments service's settings, validated at start (`npm run docs:config` prints them as a table). */
export const paymentsConfig = defineConfig({
  ...httpConfig(3004),
  ...authConfig(),
  ...databaseConfig(),
  ...messagingConfig(),
  PAYMENT_PROVIDER_URL: url({ protocols: ['http', 'https'], description: 'Base URL of the payment provider API (the part before /v1)' }),
  PAYMENT_PROVIDER_SECRET_KEY: str({ secret: true, minLength: 1, description: 'Secret API key sent to the provider as a Bearer token' }),
  PAYMENT_PROVIDER_WEBHOOK_SECRET: str({
    secret: true,
    minLength: 8,
    description: 'Standard Webhooks signing secret of the provider (whsec_… base64); events signed otherwise are refused',
  }),
  PAYMENT_PROVIDER_TIMEOUT_MS: int({
    default: 5_000,
    min: 100,
    max: 120_000,
    description: 'Longest wait for one provider call; no answer by then is an unknown outcome, resolved with the same key',
  }),
  PAYMENT_PROVIDER_KEY_RETENTION_MS: int({
    default: 82_800_000,
    min: 1_000,
    description:
      'How long a sent idempotency key is trusted to be remembered by the provider (a little under its 24 h); an older key is never sent again: the outcome is looked up instead',
  }),
  PAYMENTS_WORKER_POLL_MS: int({
    default: 1_000,
    min: 10,
    max: 60_000,
    description:
      'Fallback poll of the provider worker. A recorded or rescheduled operation wakes it at once (PostgreSQL NOTIFY) and it sleeps until the next one is due, so this only matters while its LISTEN connection is down, or for the claims of a replica that died (after their lease)',
  }),
  PAYMENTS_WORKER_LEASE_MS: int({
    default: 30_000,
    min: 1_000,
    max: 600_000,
    description:
      'How long a claimed operation belongs to one worker (a SIGKILLed replica’s claims return after it); at least 2 × PAYMENT_PROVIDER_TIMEOUT_MS + 1000',
  }),
  PAYMENTS_WORKER_BATCH: int({ default: 16, min: 1, max: 200, description: 'Operations one worker runs at once' }),
  PAYMENTS_RETRY_DELAYS_MS: intList({
    default: [1_000, 5_000, 30_000, 120_000],
    min: 1,
    description: 'Waits before an operation whose outcome is unknown is tried again with the same key (the last repeats)',
  }),
  PAYMENTS_ACTION_RECHECK_MS: int({
    default: 30_000,
    min: 100,
    description: 'How often an authorization waiting for the customer (requires_action) is read again, besides its webhooks',
  }),
  PAYMENTS_RECONCILIATION_INTERVAL_MS: int({
    default: 60_000,
    min: 100,
    description: 'How often our records are compared with the provider (one replica at a time)',
  }),
  PAYMENTS_RECONCILIATION_LOOKBACK_HOURS: int({
    default: 72,
    min: 1,
    max: 24 * 90,
    description: 'Payments changed within this many hours are compared with the provider',
  }),
  PAYMENTS_RECONCILIATION_BATCH: int({ default: 100, min: 1, max: 5_000, description: 'Orders compared with the provider per run' }),
});

export type PaymentsConfig = typeof paymentsConfig;
