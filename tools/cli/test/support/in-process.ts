import type { Transport } from '@emporium/messaging';
import { createLogger } from '@emporium/observability';
import { createTestDatabase, createTestTransport, freePortBlock } from '@emporium/testing';
import { type RunningSystem, startSystem } from '../../src/system.js';
import type { Shop } from './shop.js';

export interface InProcessSystem extends Shop {
  system: RunningSystem;
  stop(): Promise<void>;
}

/**
 * The whole system in this process as `npm start` runs it (demo catalog and stock), on this run's
 * transport and fresh databases, with short worker polls so tests wait less.
 */
export async function startInProcessSystem(env: Record<string, Record<string, string>> = {}): Promise<InProcessSystem> {
  const logger = createLogger({ service: 'e2e', level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false });
  const transport: Transport = await createTestTransport(logger);
  const system = await startSystem({
    portBase: await freePortBlock(),
    transport,
    logger,
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    demo: true,
    databaseUrlOf: (service) => createTestDatabase(service.replace(/-/g, '_')),
    env: {
      payments: { PAYMENTS_WORKER_POLL_MS: '50' },
      notifications: { NOTIFICATIONS_POLL_INTERVAL_MS: '50' },
      ...env,
    },
  });
  return {
    system,
    urls: system.urls,
    gateway: system.urls.gateway as string,
    tokens: system.tokens,
    stop: async () => {
      await system.stop();
      await transport.close();
    },
  };
}
