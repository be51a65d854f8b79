import { DEMO_CATALOG } from '@emporium/catalog';
import type { Transport } from '@emporium/messaging';
import type { Logger } from '@emporium/observability';
import { type RunningService, startService } from '@emporium/service';
import { issuerOf, linksFor, newSecrets, SYSTEM, type SystemSecrets } from './services.js';
import { type SystemTokens, systemTokens } from './tokens.js';

export interface SystemOptions {
  portBase: number;
  transport: Transport;
  /** The database URL of a service that owns one (created by the caller's means). */
  databaseUrlOf(service: string): Promise<string>;
  logger: Logger;
  logLevel: string;
  /** Demo data: the seed catalog and stock for it. */
  demo: boolean;
  secrets?: SystemSecrets;
  /** Extra settings per service (tests: short timeouts). */
  env?: Record<string, Record<string, string>>;
}

export interface RunningSystem {
  urls: Record<string, string>;
  services: Map<string, RunningService<any, any>>;
  secrets: SystemSecrets;
  /** Access tokens signed with the system's issuer key (tools/cli tokens.ts). */
  tokens: SystemTokens;
  stop(): Promise<void>;
}

/**
 * Starts every part of the system in this process on one transport, each on its port
 * (port base + offset), each service with its own database. Used by the embedded mode and by
 * the end-to-end tests.
 */
export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const secrets = options.secrets ?? newSecrets();
  const links = linksFor(options.portBase, secrets);
  const tokens = systemTokens({ issuer: issuerOf(links), jwks: secrets.oidcJwks });
  const services = new Map<string, RunningService<any, any>>();
  const urls: Record<string, string> = {};
  const stop = async () => {
    for (const s of [...services.values()].reverse())
      await s.stop().catch((e) => options.logger.error({ err: e }, `stopping ${s.name} failed`));
  };
  try {
    for (const entry of SYSTEM) {
      const name = entry.module.name;
      const env: Record<string, string> = {
        PORT: String(links.port(entry.offset)),
        HOST: '127.0.0.1',
        LOG_LEVEL: options.logLevel,
        ...(options.demo ? (entry.demoEnv ?? {}) : {}),
        ...(entry.env?.(links) ?? {}),
        ...(options.env?.[name] ?? {}),
      };
      if (entry.module.migrations) env.DATABASE_URL = await options.databaseUrlOf(name);
      const running = await startService(entry.module, { env, transport: options.transport, logger: options.logger });
      services.set(name, running);
      urls[name] = running.url;
    }
    if (options.demo) await seedDemoStock(urls.inventory as string, tokens, options.logger);
    return { urls, services, secrets, tokens, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Demo stock: 25 units of every SKU of the demo catalog that has no stock record yet (a restart
 * keeps what orders have changed). Through inventory's own admin API, as a merchandiser would.
 */
export async function seedDemoStock(inventoryUrl: string, tokens: SystemTokens, logger: Logger): Promise<void> {
  const skus = DEMO_CATALOG.flatMap((p) => p.variants.map((v) => v.sku));
  const admin = { ...(await tokens.staff('inventory', ['merchandiser'], { sub: 'usr_demo_seed' })), 'content-type': 'application/json' };
  let seeded = 0;
  for (const sku of skus) {
    const current = await fetch(`${inventoryUrl}/api/inventory/skus/${encodeURIComponent(sku)}`, { headers: admin });
    if (current.status === 200) {
      const body = (await current.json()) as { locations?: unknown[] };
      if (Array.isArray(body.locations) && body.locations.length > 0) continue;
    }
    const res = await fetch(`${inventoryUrl}/api/inventory/skus/${encodeURIComponent(sku)}/locations/main`, {
      method: 'PUT',
      headers: admin,
      body: JSON.stringify({ onHand: 25 }),
    });
    if (!res.ok) throw new Error(`seeding stock for ${sku} failed: ${res.status} ${await res.text()}`);
    seeded++;
  }
  if (seeded) logger.info({ seeded }, 'demo stock seeded');
}
