import { rmSync } from 'node:fs';
import path from 'node:path';
import { databaseUrl, ensureDatabase, startEmbeddedPostgres } from '@emporium/db';
import { EmbeddedTransport } from '@emporium/messaging';
import { createLogger } from '@emporium/observability';
import { type RunningService, startService } from '@emporium/service';
import { BROKER_DATABASE, databaseName, SERVICES } from './services.js';

export interface EmbeddedOptions {
  dataDir: string;
  clean: boolean;
  portBase: number;
  pgPort: number;
  logLevel: string;
}

/**
 * The embedded mode: one process, a real PostgreSQL started from the npm package (a database
 * per service, data kept in dataDir), the embedded transport, every service on its own port.
 */
export async function startEmbedded(options: EmbeddedOptions): Promise<{ stop(): Promise<void>; urls: Record<string, string> }> {
  const logger = createLogger({ service: 'emporium', level: options.logLevel });
  if (options.clean) rmSync(options.dataDir, { recursive: true, force: true });
  logger.info({ dataDir: options.dataDir }, 'starting embedded PostgreSQL');
  const pg = await startEmbeddedPostgres({ dataDir: path.join(options.dataDir, 'postgres'), port: options.pgPort });
  const started: RunningService<any, any>[] = [];
  let transport: EmbeddedTransport | undefined;
  const stop = async () => {
    for (const s of [...started].reverse()) await s.stop().catch((e) => logger.error({ err: e }, `stopping ${s.name} failed`));
    await transport?.close().catch(() => {});
    await pg.stop();
  };
  try {
    await ensureDatabase(pg.url, BROKER_DATABASE);
    transport = new EmbeddedTransport({ url: databaseUrl(pg.url, BROKER_DATABASE), logger, pollIntervalMs: 500 });
    const urls: Record<string, string> = {};
    const inStartOrder = [...SERVICES].sort((a, b) => (a.links ? 1 : 0) - (b.links ? 1 : 0));
    for (const entry of inStartOrder) {
      const name = entry.module.name;
      const env: Record<string, string> = {
        PORT: String(options.portBase + entry.offset),
        HOST: '127.0.0.1',
        LOG_LEVEL: options.logLevel,
        ...(entry.embeddedEnv ?? {}),
        ...(entry.links?.(urls) ?? {}),
      };
      if (entry.module.migrations) {
        await ensureDatabase(pg.url, databaseName(name));
        env.DATABASE_URL = databaseUrl(pg.url, databaseName(name));
      }
      const running = await startService(entry.module, { env, transport, logger });
      started.push(running);
      urls[name] = running.url;
    }
    return { stop, urls };
  } catch (error) {
    await stop();
    throw error;
  }
}
