import { CatalogPriceChangedV1, CatalogProductCreatedV1, CatalogVariantAddedV1 } from '@emporium/contracts';
import type { ServiceModule } from '@emporium/service';
import { buildCatalogApp } from './app.js';
import { type CatalogConfig, catalogConfig } from './config.js';
import { catalogMigrations } from './data-access/migrations/index.js';
import type { CatalogDatabase } from './data-access/tables.js';

/** The catalog service: products, variants and prices; browse and search; admin edits; product events. */
export const catalogModule: ServiceModule<CatalogDatabase, CatalogConfig> = {
  name: 'catalog',
  description: 'Products, variants and prices: browse and search, SKU lookups, admin edits, product events',
  configSchema: catalogConfig,
  migrations: catalogMigrations,
  publishes: [CatalogProductCreatedV1, CatalogVariantAddedV1, CatalogPriceChangedV1],
  buildApp: buildCatalogApp,
};

export { catalogConfig, type CatalogConfig };
export { catalogMigrations };
export type { CatalogDatabase };
export { seedDemoCatalog } from './seed/seed-demo-catalog.js';
export { DEMO_CATALOG } from './seed/demo-catalog.js';
export { catalogPolicy, CATALOG_WRITERS, PRICES_SCOPE, type CatalogAction, type CatalogSubject } from './policy.js';
