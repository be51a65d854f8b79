import { catalogModule } from '@emporium/catalog';
import { gatewayModule } from '@emporium/gateway';
import type { ServiceModule } from '@emporium/service';

/**
 * Every service of the system, in start order (the gateway last: it routes to the others).
 * `offset` is added to the port base; `env` gives the settings that link a service to others.
 */
export interface ServiceEntry {
  module: ServiceModule<any, any>;
  offset: number;
  /** Settings pointing at other services, from their URLs. */
  links?: (urls: Record<string, string>) => Record<string, string>;
  /** Settings only the embedded mode sets (e.g. demo data). */
  embeddedEnv?: Record<string, string>;
}

export const SERVICES: ServiceEntry[] = [
  { module: catalogModule, offset: 1, embeddedEnv: { CATALOG_SEED_DEMO: 'true' } },
  { module: gatewayModule, offset: 0, links: (urls) => ({ CATALOG_URL: urls.catalog as string }) },
];

export const databaseName = (service: string) => `emporium_${service}`;
export const BROKER_DATABASE = 'emporium_broker';
