/**
 * The gateway in front of the real catalog service: the seed catalog through the gateway; catalog
 * stopped → 503 problem+json within the timeout while the gateway stays up; catalog back → 200.
 */
import { catalogModule } from '@emporium/catalog';
import { gatewayModule } from '@emporium/gateway';
import { createLogger } from '@emporium/observability';
import { type RunningService, startService } from '@emporium/service';
import { randomBytes } from 'node:crypto';
import { createTestDatabase, startTestService, type TestService, testAuthEnv, waitFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('gateway → catalog over HTTP', () => {
  let catalog: TestService<any, any>;
  let gateway: RunningService<any, any>;
  let catalogPort: number;
  let databaseUrl: string;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('catalog');
    catalog = await startTestService(catalogModule, { DATABASE_URL: databaseUrl, CATALOG_SEED_DEMO: 'true' });
    catalogPort = Number(new URL(catalog.url).port);
    gateway = await startService(gatewayModule, {
      env: {
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        DATABASE_URL: await createTestDatabase('gateway'),
        ...(await testAuthEnv()),
        BFF_STOREFRONT_CLIENT_SECRET: randomBytes(32).toString('base64url'),
        BFF_ADMIN_CLIENT_SECRET: randomBytes(32).toString('base64url'),
        BFF_TOKEN_KEYS: randomBytes(32).toString('base64url'),
        CATALOG_URL: catalog.url,
        UPSTREAM_TIMEOUT_MS: '500',
        UPSTREAM_DEADLINE_MS: '1000',
        UPSTREAM_BREAKER_FAILURES: '3',
        UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS: '300',
      },
      logger: createLogger({ service: 'gateway', level: 'silent', pretty: false }),
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await catalog?.close();
  });

  it('serves the seed catalog through the gateway', async () => {
    const res = await fetch(`${gateway.url}/api/catalog/products?limit=50`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { items: unknown[] }).items.length).toBeGreaterThanOrEqual(30);
  });

  it('when catalog is stopped, then the gateway answers 503 upstream_unavailable within its timeout and stays up; when catalog is back, 200 again', async () => {
    await catalog.close();
    const started = Date.now();
    const down = await fetch(`${gateway.url}/api/catalog/products`);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(down.status).toBe(503);
    expect(down.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await down.json()).toMatchObject({ status: 503, code: 'upstream_unavailable' });
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);

    catalog = await startTestService(catalogModule, { DATABASE_URL: databaseUrl, PORT: String(catalogPort) });
    await waitFor(async () => (await fetch(`${gateway.url}/api/catalog/products`)).status === 200, {
      description: 'the gateway to reach catalog again',
    });
  });
});
