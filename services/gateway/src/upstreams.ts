import type { GatewayConfig } from './config.js';

/** A public path prefix and the service that answers under it. */
export interface Upstream {
  /** Requests to `prefix` and `prefix/*`, any method, go to the service with their path unchanged. */
  prefix: `/${string}`;
  /** The service's name: in metrics, logs and the 503/504 a client sees. */
  service: string;
  /** Internal base URL of the service (from the config; never shown to clients). */
  url: string;
}

/** The route table: one line per service behind the gateway. */
export const upstreamsOf = (config: GatewayConfig): Upstream[] =>
  [
    { prefix: '/api/catalog', service: 'catalog', url: config.CATALOG_URL },
    { prefix: '/api/inventory', service: 'inventory', url: config.INVENTORY_URL },
    { prefix: '/api/orders', service: 'orders', url: config.ORDERS_URL },
    { prefix: '/api/payments', service: 'payments', url: config.PAYMENTS_URL },
    { prefix: '/api/notifications', service: 'notifications', url: config.NOTIFICATIONS_URL },
    { prefix: '/api/identity', service: 'identity', url: config.IDENTITY_URL },
    // Identity's OpenID Connect provider: its public issuer is <gateway>/oidc (login pages, token endpoint, JWKS).
    { prefix: '/oidc', service: 'identity', url: config.IDENTITY_URL },
  ].filter((u): u is Upstream => typeof u.url === 'string');
