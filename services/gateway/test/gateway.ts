import { randomBytes } from 'node:crypto';
import { createLogger } from '@emporium/observability';
import { type RunningService, startService } from '@emporium/service';
import { createTestDatabase, testAuthEnv } from '@emporium/testing';
import { type GatewayDatabase, gatewayModule, type gatewayConfig } from '../src/index.js';

export type RunningGateway = RunningService<GatewayDatabase, typeof gatewayConfig>;

/** Settings of the backend-for-frontend that a test of the routing alone does not care about. */
export const bffTestEnv = () => ({
  BFF_STOREFRONT_CLIENT_SECRET: randomBytes(32).toString('base64url'),
  BFF_ADMIN_CLIENT_SECRET: randomBytes(32).toString('base64url'),
  BFF_TOKEN_KEYS: randomBytes(32).toString('base64url'),
});

/**
 * Starts the gateway in-process on a free port, routing to `catalogUrl`, on a fresh database of its
 * own (sessions), trusting the test issuer for bearer tokens at the edge (@emporium/testing's
 * testIssuer: `bearerFor('catalog', …)` makes tokens it accepts for /api/catalog). It has no
 * messages, so it starts without a transport (startTestService would give it one).
 */
export async function startGateway(catalogUrl: string, env: Record<string, string> = {}): Promise<RunningGateway> {
  return startService(gatewayModule, {
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      CATALOG_URL: catalogUrl,
      DATABASE_URL: await createTestDatabase('gateway'),
      ...(await testAuthEnv()),
      ...bffTestEnv(),
      ...env,
    },
    logger: createLogger({ service: 'gateway', level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false }),
  });
}
