import {
  InventoryReleaseRequestedV1,
  InventoryReserveRequestedV1,
  InventoryCommitRequestedV1,
  OrdersOrderCancelledV1,
  OrdersOrderConfirmedV1,
  PaymentsAuthorizeRequestedV1,
  PaymentsCaptureRequestedV1,
  PaymentsRefundRequestedV1,
  PaymentsVoidRequestedV1,
} from '@emporium/contracts';
import type { ServiceModule } from '@emporium/service';
import { buildOrdersApp, ordersDepsOf } from './app.js';
import { type OrdersConfig, ordersConfig } from './config.js';
import { ordersMigrations } from './data-access/migrations/index.js';
import type { OrdersDatabase } from './data-access/tables.js';
import type { OrdersDeps } from './domain/deps.js';
import { ordersJobs } from './entry-points/jobs/index.js';
import { REPLY_DEFINITIONS, replyHandlers } from './entry-points/messaging/replies.js';

/** Commands of the checkout saga and the order events notifications listens to. */
export const ORDERS_PUBLISHES = [
  InventoryReserveRequestedV1,
  InventoryReleaseRequestedV1,
  InventoryCommitRequestedV1,
  PaymentsAuthorizeRequestedV1,
  PaymentsVoidRequestedV1,
  PaymentsCaptureRequestedV1,
  PaymentsRefundRequestedV1,
  OrdersOrderConfirmedV1,
  OrdersOrderCancelledV1,
];

/**
 * The orders service: checkout with Idempotency-Keys, the checkout saga (orchestrated here and
 * driven by the replies of inventory and payments), the customer's orders and their timeline.
 *
 * The message handlers need the same dependencies as the routes (config, metrics): the runtime
 * builds the app before it consumes, so buildApp makes them and the handlers read them. One
 * module object therefore serves one running service at a time; start another with a new
 * createOrdersModule().
 */
export function createOrdersModule(): ServiceModule<OrdersDatabase, OrdersConfig> {
  let deps: OrdersDeps | undefined;
  const current = () => {
    if (!deps) throw new Error('orders: a message arrived before the service was built');
    return deps;
  };
  return {
    name: 'orders',
    description: 'Checkout (Idempotency-Key), the checkout saga, the customer’s orders and their timeline',
    configSchema: ordersConfig,
    migrations: ordersMigrations,
    publishes: ORDERS_PUBLISHES,
    consumes: { definitions: REPLY_DEFINITIONS, handlers: replyHandlers(current) },
    async buildApp(ctx) {
      deps = ordersDepsOf(ctx);
      return buildOrdersApp(ctx, deps);
    },
    jobs: (ctx) => [
      ...ordersJobs(current(), {
        timeoutScanMs: ctx.config.ORDERS_TIMEOUT_SCAN_INTERVAL_MS,
        purgeMs: ctx.config.ORDERS_IDEMPOTENCY_PURGE_INTERVAL_MS,
      }),
      // Its LISTEN connection goes with the jobs, after HTTP drained (a waiting read ends within ORDERS_STATUS_MAX_WAIT_MS).
      current().changes,
    ],
  };
}

export const ordersModule = createOrdersModule();

export { ordersConfig, type OrdersConfig };
export { ordersMigrations };
export type { OrdersDatabase };
export { ORDER_STATUSES, ORDER_TRANSITIONS, type OrderStatus } from './domain/status.js';
export { CHECKOUT_SAGA } from './domain/checkout-saga.js';
