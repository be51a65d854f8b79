import { type BackgroundJob, every, type ServiceModule } from '@emporium/service';
import { bffMetrics, buildGatewayApp, type GatewayContext } from './app.js';
import { gatewayConfig } from './config.js';
import { gatewayMigrations } from './data-access/migrations/index.js';
import type { GatewayDatabase } from './data-access/tables.js';
import { purgeExpired } from './domain/purge.js';

export { gatewayConfig, type GatewayConfig } from './config.js';
export { upstreamsOf, type Upstream } from './upstreams.js';
export { gatewayMigrations, type GatewayDatabase };

/** Expired sign-ins and sessions already answer 401; their rows are deleted this often. */
const PURGE_INTERVAL_MS = 5 * 60_000;

function purgeJob(ctx: GatewayContext): BackgroundJob {
  const deps = { db: ctx.db, now: () => new Date(), metrics: bffMetrics(ctx.metrics) };
  return every('purge expired sessions', PURGE_INTERVAL_MS, () => purgeExpired(deps), ctx.logger);
}

/**
 * The gateway: the one public entry. It routes /api/<service>/* to the services, checks bearer
 * tokens at the edge, and is the backend-for-frontend of the storefront and the admin console
 * (sign-in through identity's OpenID provider; sessions and their tokens in its own database).
 */
export const gatewayModule: ServiceModule<GatewayDatabase, typeof gatewayConfig> = {
  name: 'gateway',
  description: "Emporium's one public entry: routes /api/<service>/* to the services; sign-in and sessions for the browser apps",
  configSchema: gatewayConfig,
  migrations: gatewayMigrations,
  buildApp: buildGatewayApp,
  jobs: (ctx) => [purgeJob(ctx)],
};
