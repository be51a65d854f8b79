import { bool, defineConfig } from '@emporium/config';
import { authConfig, databaseConfig, httpConfig, messagingConfig } from '@emporium/service';

/** The catalog's settings, validated at start (`npm run docs:config` prints them as a table). */
export const catalogConfig = defineConfig({
  ...httpConfig(3001),
  ...authConfig(),
  ...databaseConfig(),
  ...messagingConfig(),
  CATALOG_SEED_DEMO: bool({
    default: false,
    description: 'Load the demo catalog (about 40 products) at start when the products table is empty; safe with several replicas',
  }),
});

export type CatalogConfig = typeof catalogConfig;
