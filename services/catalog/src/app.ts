import { randomUUID } from 'node:crypto';
import type { ServiceApp, ServiceContext } from '@emporium/service';
import type { CatalogConfig } from './config.js';
import type { CatalogDatabase } from './data-access/tables.js';
import type { CatalogDeps, CatalogMetrics } from './domain/deps.js';
import { internalPriceRoutes } from './entry-points/http/internal-prices.js';
import { productAdminRoutes } from './entry-points/http/products-admin.js';
import { productRoutes } from './entry-points/http/products.js';
import { skuRoutes } from './entry-points/http/skus.js';
import { seedDemoCatalog } from './seed/seed-demo-catalog.js';

export type CatalogContext = ServiceContext<CatalogDatabase, CatalogConfig>;

function catalogMetrics(metrics: CatalogContext['metrics']): CatalogMetrics {
  const created = metrics.counter('emporium_catalog_products_created_total', 'Products added to the catalog (API and demo seed)');
  const added = metrics.counter('emporium_catalog_variants_added_total', 'Variants added to existing products');
  const priced = metrics.counter(
    'emporium_catalog_price_changes_total',
    'Prices of SKUs changed (setting the same price again is not counted)',
  );
  return {
    productsCreated: (n) => created.inc(n),
    variantsAdded: (n) => added.inc(n),
    priceChanged: () => priced.inc(),
  };
}

/** The catalog's HTTP app. It never listens (the runtime or a test does). */
export async function buildCatalogApp(ctx: CatalogContext): Promise<ServiceApp> {
  const deps: CatalogDeps = {
    db: ctx.db,
    messages: ctx.messages,
    metrics: catalogMetrics(ctx.metrics),
    now: () => new Date(),
    newId: randomUUID,
  };
  if (ctx.config.CATALOG_SEED_DEMO) {
    const { inserted } = await seedDemoCatalog(ctx.db, ctx.messages, { metrics: deps.metrics });
    if (inserted > 0) ctx.logger.info({ inserted }, 'demo catalog seeded');
  }
  const app = await ctx.createApp();
  productRoutes(app, deps);
  productAdminRoutes(app, deps);
  skuRoutes(app, deps);
  internalPriceRoutes(app, deps);
  return app;
}
