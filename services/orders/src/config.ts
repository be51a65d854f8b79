import { type ConfigOf, defineConfig, int, url } from '@emporium/config';
import { authConfig, databaseConfig, httpConfig, messagingConfig, serviceClientConfig } from '@emporium/service';

/** The orders service's settings, validated at start (`npm run docs:config` prints them as a table). */
export const ordersConfig = defineConfig({
  ...httpConfig(3003),
  ...authConfig(),
  ...serviceClientConfig(),
  ...databaseConfig(),
  ...messagingConfig(),
  CATALOG_URL: url({
    protocols: ['http', 'https'],
    description:
      'Base URL of the catalog service; checkout prices every line there (GET /internal/catalog/prices, with a client-credentials token of AUTH_CLIENT_ID for the audience catalog, scope catalog:prices)',
  }),
  CATALOG_TIMEOUT_MS: int({ default: 2_000, min: 10, max: 60_000, description: 'Longest wait for one attempt at the catalog' }),
  CATALOG_RETRY_MAX_ATTEMPTS: int({ default: 3, min: 1, max: 10, description: 'Attempts per catalog lookup, the first included' }),
  CATALOG_BREAKER_FAILURES: int({
    default: 5,
    min: 1,
    max: 1_000,
    description: 'Failed catalog attempts in a row that open the circuit (checkout then answers 503 at once)',
  }),
  CATALOG_BREAKER_HALF_OPEN_AFTER_MS: int({
    default: 10_000,
    min: 10,
    max: 600_000,
    description: 'How long an open circuit to the catalog fails fast before one request probes it again',
  }),
  ORDERS_IDEMPOTENCY_RETENTION_HOURS: int({
    default: 72,
    min: 72,
    max: 8_760,
    description: 'How long an Idempotency-Key and its stored answer are kept (at least 72 h); afterwards the key is forgotten',
  }),
  ORDERS_IDEMPOTENCY_LEASE_MS: int({
    default: 60_000,
    min: 1_000,
    max: 3_600_000,
    description:
      'How long a key stays "in flight" (409 to a retry) when the request holding it never finished (process killed); then a retry may take it over',
  }),
  ORDERS_IDEMPOTENCY_PURGE_INTERVAL_MS: int({
    default: 600_000,
    min: 100,
    max: 86_400_000,
    description: 'How often expired Idempotency-Keys are deleted',
  }),
  ORDERS_RESERVATION_TTL_MS: int({
    default: 900_000,
    min: 100,
    max: 86_400_000,
    description:
      'How long inventory holds the stock of an order (expiresAt of the reserve command); an unfinished payment is abandoned then',
  }),
  ORDERS_RESERVE_TIMEOUT_MS: int({
    default: 30_000,
    min: 50,
    max: 3_600_000,
    description: 'Wait for inventory to answer a reservation before asking again (then, after the last attempt, cancelling)',
  }),
  ORDERS_AUTHORIZE_TIMEOUT_MS: int({
    default: 120_000,
    min: 50,
    max: 3_600_000,
    description: 'Wait for payments to answer an authorization before asking again; the payment is abandoned when the stock hold expires',
  }),
  ORDERS_CAPTURE_TIMEOUT_MS: int({
    default: 120_000,
    min: 50,
    max: 3_600_000,
    description:
      'Wait for the capture or the stock commit (the pivot) before asking again with the same order key; never compensated on a timeout',
  }),
  ORDERS_REFUND_TIMEOUT_MS: int({
    default: 120_000,
    min: 50,
    max: 3_600_000,
    description: 'Wait for a refund to be answered before asking again with the same refund id',
  }),
  ORDERS_STEP_MAX_ATTEMPTS: int({
    default: 3,
    min: 1,
    max: 100,
    description:
      'Sends of a step command before giving up: the reservation is then compensated; a capture, commit or refund counts as stuck (emporium_saga_stuck) and is still retried',
  }),
  ORDERS_TIMEOUT_SCAN_INTERVAL_MS: int({
    default: 1_000,
    min: 10,
    max: 600_000,
    description: 'How often the step-timeout job looks for sagas past their deadline',
  }),
  ORDERS_STATUS_MAX_WAIT_MS: int({
    default: 2_000,
    min: 0,
    max: 60_000,
    description:
      'Longest a status read with `If-None-Match` and `Prefer: wait=N` is held waiting for the order to change (then 304); keep it below the gateway’s UPSTREAM_TIMEOUT_MS',
  }),
});

export type OrdersConfig = typeof ordersConfig;
export type OrdersSettings = ConfigOf<OrdersConfig>;
