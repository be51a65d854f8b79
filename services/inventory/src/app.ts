import type { ServiceApp, ServiceContext } from '@emporium/service';
import type { InventoryConfig } from './config.js';
import { countActiveReservations } from './data-access/reservations-repository.js';
import type { InventoryDatabase } from './data-access/tables.js';
import type { InventoryDeps, InventoryMetrics } from './domain/deps.js';
import { reservationRoutes } from './entry-points/http/reservations.js';
import { stockRoutes } from './entry-points/http/stock.js';

export type InventoryContext = ServiceContext<InventoryDatabase, InventoryConfig>;

/**
 * The business series. Counters are moved by the use cases; those moved inside a consumer's
 * transaction may count a message twice in the rare case its transaction is run again (deadlock
 * retry, a batch falling back to one by one): the journal, not a counter, is the record.
 */
function inventoryMetrics(ctx: InventoryContext): InventoryMetrics {
  const reservations = ctx.metrics.counter(
    'emporium_inventory_reservations_total',
    'Reserve commands decided, by outcome: succeeded, out_of_stock, unknown_sku (a repeated command is not counted)',
    ['outcome'],
  );
  const stockouts = ctx.metrics.counter('emporium_inventory_stockouts_total', 'Times a SKU ran out: its available units fell to zero');
  const expired = ctx.metrics.counter(
    'emporium_inventory_reservations_expired_total',
    'Reservations released by the expiry sweep because they were not committed in time',
  );
  const db = ctx.db;
  ctx.metrics.gauge(
    'emporium_inventory_active_reservations',
    'Reservations holding units now (not yet committed, released or expired); read from the database, so every replica reports the same',
    [],
    async function collect() {
      try {
        this.set(await countActiveReservations(db));
      } catch {
        // The database is away: keep the last value; readiness reports the outage.
      }
    },
  );
  for (const outcome of ['succeeded', 'out_of_stock', 'unknown_sku']) reservations.inc({ outcome }, 0);
  stockouts.inc(0);
  expired.inc(0);
  return {
    reservationDecided: (outcome) => reservations.inc({ outcome }),
    stockedOut: (n) => stockouts.inc(n),
    reservationsExpired: (n) => expired.inc(n),
  };
}

/** The use cases' dependencies of one running instance. */
export function inventoryDeps(ctx: InventoryContext): InventoryDeps {
  return {
    db: ctx.db,
    messages: ctx.messages,
    metrics: inventoryMetrics(ctx),
    now: () => new Date(),
    reservationTtlMs: ctx.config.INVENTORY_RESERVATION_TTL_MS,
  };
}

/** The inventory's HTTP app. It never listens (the runtime or a test does). */
export async function buildInventoryApp(ctx: InventoryContext, deps: InventoryDeps): Promise<ServiceApp> {
  const app = await ctx.createApp();
  stockRoutes(app, deps);
  reservationRoutes(app, deps);
  return app;
}
