import {
  InventoryReservationCommittedV1,
  InventoryReservationFailedV1,
  InventoryReservationReleasedV1,
  InventoryReservationSucceededV1,
  InventorySkuBackInStockV1,
  InventorySkuOutOfStockV1,
} from '@emporium/contracts';
import type { ServiceModule } from '@emporium/service';
import { buildInventoryApp, inventoryDeps } from './app.js';
import { type InventoryConfig, inventoryConfig } from './config.js';
import { inventoryMigrations } from './data-access/migrations/index.js';
import type { InventoryDatabase } from './data-access/tables.js';
import type { InventoryDeps } from './domain/deps.js';
import { startExpirySweeper } from './entry-points/jobs/expiry-sweeper.js';
import { inventoryConsumer } from './entry-points/messaging/handlers.js';

/**
 * A new inventory module. The runtime hands message handlers only their transaction and message,
 * not the service's context; so each module binds the dependencies its handlers use (config,
 * metrics, message schemas) when the runtime builds its app, which happens before its consumer
 * starts. One module object serves one running instance at a time: to run replicas in one process
 * (tests), create one module per replica.
 */
export function createInventoryModule(): ServiceModule<InventoryDatabase, InventoryConfig> {
  let bound: InventoryDeps | undefined;
  const deps = () => {
    if (!bound) throw new Error('inventory: a handler ran before buildApp bound its dependencies');
    return bound;
  };
  return {
    name: 'inventory',
    description: 'Stock per SKU and location; reservations per order (reserve, commit, release, expiry) that never oversell; stock events',
    configSchema: inventoryConfig,
    migrations: inventoryMigrations,
    publishes: [
      InventoryReservationSucceededV1,
      InventoryReservationFailedV1,
      InventoryReservationCommittedV1,
      InventoryReservationReleasedV1,
      InventorySkuOutOfStockV1,
      InventorySkuBackInStockV1,
    ],
    consumes: inventoryConsumer(deps),
    async buildApp(ctx) {
      bound = inventoryDeps(ctx);
      return buildInventoryApp(ctx, bound);
    },
    jobs(ctx) {
      return [
        startExpirySweeper(deps(), {
          intervalMs: ctx.config.INVENTORY_EXPIRY_SWEEP_INTERVAL_MS,
          batchSize: ctx.config.INVENTORY_EXPIRY_BATCH_SIZE,
          logger: ctx.logger,
        }),
      ];
    },
  };
}

/** The inventory service: stock per SKU and location, reservations, stock events. */
export const inventoryModule = createInventoryModule();

export { inventoryConfig, type InventoryConfig };
export { inventoryMigrations };
export type { InventoryDatabase };
export { inventoryPolicy, STOCK_READERS, STOCK_WRITERS, type InventoryAction, type InventorySubject } from './policy.js';
