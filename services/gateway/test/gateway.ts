import { createLogger } from '@emporium/observability';
import { type RunningService, startService } from '@emporium/service';
import { gatewayModule, type gatewayConfig } from '../src/index.js';

export type RunningGateway = RunningService<unknown, typeof gatewayConfig>;

/**
 * Starts the gateway in-process on a free port, routing to `catalogUrl`. The gateway owns no
 * database and no messages, so it starts without a transport (startTestService would give it one).
 */
export function startGateway(catalogUrl: string, env: Record<string, string> = {}): Promise<RunningGateway> {
  return startService(gatewayModule, {
    env: { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', CATALOG_URL: catalogUrl, ...env },
    logger: createLogger({ service: 'gateway', level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false }),
  });
}
