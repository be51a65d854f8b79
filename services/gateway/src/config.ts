import { type ConfigOf, defineConfig, int, url } from '@emporium/config';
import { httpConfig } from '@emporium/service';

/** The gateway's settings: where each upstream service listens, and how hard to try reaching it. */
export const gatewayConfig = defineConfig({
  ...httpConfig(3000),
  CATALOG_URL: url({
    protocols: ['http', 'https'],
    description: 'Base URL of the catalog service (internal address, never shown to clients)',
  }),
  INVENTORY_URL: url({
    protocols: ['http', 'https'],
    optional: true,
    description: 'Base URL of the inventory service; /api/inventory is routed only when set',
  }),
  ORDERS_URL: url({
    protocols: ['http', 'https'],
    optional: true,
    description: 'Base URL of the orders service; /api/orders is routed only when set',
  }),
  PAYMENTS_URL: url({
    protocols: ['http', 'https'],
    optional: true,
    description: 'Base URL of the payments service; /api/payments is routed only when set',
  }),
  NOTIFICATIONS_URL: url({
    protocols: ['http', 'https'],
    optional: true,
    description: 'Base URL of the notifications service; /api/notifications is routed only when set',
  }),
  IDENTITY_URL: url({
    protocols: ['http', 'https'],
    optional: true,
    description: 'Base URL of the identity service; /api/identity is routed only when set',
  }),
  UPSTREAM_TIMEOUT_MS: int({
    default: 3_000,
    min: 10,
    max: 120_000,
    description: 'Longest wait for one attempt at an upstream service, answer body included',
  }),
  UPSTREAM_DEADLINE_MS: int({
    default: 5_000,
    min: 10,
    max: 300_000,
    description: 'Longest wait for an upstream answer in all, retries and backoff included (then 504 upstream_timeout)',
  }),
  UPSTREAM_RETRY_MAX_ATTEMPTS: int({
    default: 3,
    min: 1,
    max: 10,
    description: 'Attempts per request, the first included; only idempotent requests (or with an Idempotency-Key) are retried',
  }),
  UPSTREAM_RETRY_INITIAL_DELAY_MS: int({ default: 100, min: 1, max: 10_000, description: 'First retry backoff (jittered, growing)' }),
  UPSTREAM_RETRY_MAX_DELAY_MS: int({ default: 1_000, min: 1, max: 60_000, description: 'Longest retry backoff' }),
  UPSTREAM_RETRY_AFTER_MAX_MS: int({
    default: 2_000,
    min: 0,
    max: 60_000,
    description: 'Longest upstream Retry-After honoured by waiting; a longer one is passed to the client as it is',
  }),
  UPSTREAM_BREAKER_FAILURES: int({
    default: 5,
    min: 1,
    max: 1_000,
    description: 'Failed attempts in a row (no connection, timeout, 502/503/504) that open the circuit to an upstream service',
  }),
  UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS: int({
    default: 10_000,
    min: 10,
    max: 600_000,
    description: 'How long an open circuit answers 503 at once before one request probes the upstream again',
  }),
});

export type GatewayConfig = ConfigOf<typeof gatewayConfig>;
