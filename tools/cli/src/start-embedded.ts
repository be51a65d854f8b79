import { rmSync } from 'node:fs';
import path from 'node:path';
import { databaseUrl, ensureDatabase, startEmbeddedPostgres } from '@emporium/db';
import { EmbeddedTransport } from '@emporium/messaging';
import { createLogger } from '@emporium/observability';
import { embeddedSecrets } from './dev-secrets.js';
import { BROKER_DATABASE, databaseName } from './services.js';
import { startSystem } from './system.js';

export interface EmbeddedOptions {
  dataDir: string;
  clean: boolean;
  portBase: number;
  pgPort: number;
  logLevel: string;
}

/**
 * The embedded mode: one process, a real PostgreSQL started from the npm package (a database
 * per service, data kept in dataDir), the embedded transport, every part on its own port, the
 * demo catalog and stock.
 */
export async function startEmbedded(options: EmbeddedOptions): Promise<{ stop(): Promise<void>; urls: Record<string, string> }> {
  const logger = createLogger({ service: 'emporium', level: options.logLevel });
  if (options.clean) rmSync(options.dataDir, { recursive: true, force: true });
  logger.info({ dataDir: options.dataDir }, 'starting embedded PostgreSQL');
  const pg = await startEmbeddedPostgres({ dataDir: path.join(options.dataDir, 'postgres'), port: options.pgPort });
  let transport: EmbeddedTransport | undefined;
  try {
    await ensureDatabase(pg.url, BROKER_DATABASE);
    transport = new EmbeddedTransport({ url: databaseUrl(pg.url, BROKER_DATABASE), logger, pollIntervalMs: 500 });
    const system = await startSystem({
      portBase: options.portBase,
      transport,
      logger,
      logLevel: options.logLevel,
      demo: true,
      secrets: embeddedSecrets(options.dataDir),
      databaseUrlOf: async (service) => {
        await ensureDatabase(pg.url, databaseName(service));
        return databaseUrl(pg.url, databaseName(service));
      },
    });
    const t = transport;
    return {
      urls: system.urls,
      stop: async () => {
        await system.stop();
        await t.close().catch(() => {});
        await pg.stop();
      },
    };
  } catch (error) {
    await transport?.close().catch(() => {});
    await pg.stop();
    throw error;
  }
}
