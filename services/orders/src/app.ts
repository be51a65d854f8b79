import { randomUUID } from 'node:crypto';
import { serviceTokens } from '@emporium/auth';
import type { ServiceApp, ServiceContext } from '@emporium/service';
import type { OrdersConfig } from './config.js';
import { catalogPricesOverHttp } from './data-access/catalog-client.js';
import { OrderChangeFeed } from './data-access/order-changes.js';
import { countOrdersByStatus, countStuckOrders } from './data-access/orders-repository.js';
import type { OrdersDatabase } from './data-access/tables.js';
import type { OrdersDeps, OrdersMetrics } from './domain/deps.js';
import { OVERDUE_GRACE_MS } from './domain/inspect-saga.js';
import { ORDER_STATUSES } from './domain/status.js';
import { orderRoutes } from './entry-points/http/orders.js';
import { sagaRoutes } from './entry-points/http/sagas.js';

export type OrdersContext = ServiceContext<OrdersDatabase, OrdersConfig>;

function ordersMetrics(ctx: OrdersContext): OrdersMetrics {
  const m = ctx.metrics;
  const created = m.counter('emporium_orders_created_total', 'Orders accepted at checkout');
  const replays = m.counter(
    'emporium_orders_idempotent_replays_total',
    'Checkouts answered with the stored answer of their Idempotency-Key',
  );
  const duration = m.histogram(
    'emporium_saga_step_duration_seconds',
    'From sending a checkout saga step to its successful answer',
    ['step'],
    [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
  );
  const compensations = m.counter('emporium_saga_compensations_total', 'Undo commands sent, by the saga step they undo', ['step']);
  const sagaDuration = m.histogram(
    'emporium_saga_duration_seconds',
    'From placing an order to the end of its checkout saga, by outcome (confirmed, cancelled)',
    ['outcome'],
    [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800, 3600],
  );
  // Both outcomes exist from the start, so a ratio or an alert sees the first of either.
  for (const outcome of ['confirmed', 'cancelled'] as const) sagaDuration.zero({ outcome });

  // Gauges read from the database at scrape time; a failed read keeps the last values.
  m.gauge('emporium_orders_by_state', 'Orders by status', ['state'], async function collect() {
    try {
      const counts = await countOrdersByStatus(ctx.db);
      for (const state of ORDER_STATUSES) this.set({ state }, counts.get(state) ?? 0);
    } catch (error) {
      ctx.logger.warn({ err: error }, 'could not count orders by state');
    }
  });
  m.gauge(
    'emporium_saga_stuck',
    'Checkout sagas an operator should look at: a refund refused, a pivot or refund asked for more than ORDERS_STEP_MAX_ATTEMPTS times, or a step long past its deadline',
    [],
    async function collect() {
      try {
        this.set(await countStuckOrders(ctx.db, ctx.config.ORDERS_STEP_MAX_ATTEMPTS, new Date(), OVERDUE_GRACE_MS));
      } catch (error) {
        ctx.logger.warn({ err: error }, 'could not count stuck sagas');
      }
    },
  );
  return {
    orderCreated: () => created.inc(),
    idempotentReplay: () => replays.inc(),
    stepCompleted: (step, seconds) => duration.observe({ step }, seconds),
    compensationSent: (step) => compensations.inc({ step }),
    sagaEnded: (outcome, seconds) => sagaDuration.observe({ outcome }, seconds),
  };
}

/** The use cases' dependencies, from the service's context (the composition root's config, pools and metrics). */
export function ordersDepsOf(ctx: OrdersContext): OrdersDeps {
  const c = ctx.config;
  return {
    db: ctx.db,
    messages: ctx.messages,
    metrics: ordersMetrics(ctx),
    logger: ctx.logger,
    catalog: catalogPricesOverHttp({
      baseUrl: c.CATALOG_URL,
      tokens: serviceTokens({
        tokenUrl: c.AUTH_TOKEN_URL ?? `${c.AUTH_ISSUER.replace(/\/$/, '')}/token`,
        clientId: c.AUTH_CLIENT_ID,
        clientSecret: c.AUTH_CLIENT_SECRET,
        timeoutMs: c.CATALOG_TIMEOUT_MS,
      }),
      timeoutMs: c.CATALOG_TIMEOUT_MS,
      maxAttempts: c.CATALOG_RETRY_MAX_ATTEMPTS,
      breakerFailures: c.CATALOG_BREAKER_FAILURES,
      breakerHalfOpenAfterMs: c.CATALOG_BREAKER_HALF_OPEN_AFTER_MS,
      metrics: ctx.metrics,
      logger: ctx.logger,
    }),
    policy: {
      reservationTtlMs: c.ORDERS_RESERVATION_TTL_MS,
      reserveTimeoutMs: c.ORDERS_RESERVE_TIMEOUT_MS,
      authorizeTimeoutMs: c.ORDERS_AUTHORIZE_TIMEOUT_MS,
      captureTimeoutMs: c.ORDERS_CAPTURE_TIMEOUT_MS,
      refundTimeoutMs: c.ORDERS_REFUND_TIMEOUT_MS,
      maxAttempts: c.ORDERS_STEP_MAX_ATTEMPTS,
    },
    idempotency: { retentionMs: c.ORDERS_IDEMPOTENCY_RETENTION_HOURS * 3_600_000, leaseMs: c.ORDERS_IDEMPOTENCY_LEASE_MS },
    changes: Object.assign(new OrderChangeFeed(ctx.db.pool, ctx.logger), { maxWaitMs: c.ORDERS_STATUS_MAX_WAIT_MS }),
    now: () => new Date(),
    newId: randomUUID,
  };
}

/** The orders HTTP app. It never listens (the runtime or a test does). */
export async function buildOrdersApp(ctx: OrdersContext, deps: OrdersDeps): Promise<ServiceApp> {
  const app = await ctx.createApp();
  orderRoutes(app, deps);
  sagaRoutes(app, deps);
  return app;
}
