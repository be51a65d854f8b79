import type { ConfigSchema } from '@emporium/config';
import { EmbeddedTransport, RabbitMqTransport, type Transport } from '@emporium/messaging';
import { createLogger, type Logger } from '@emporium/observability';
import { type RunningService, type ServiceModule, startService } from '@emporium/service';
import { createTestDatabase, testAmqpUrl, testMode, uniqueName } from './env.js';

export interface TestService<DB, S extends ConfigSchema> extends RunningService<DB, S> {
  transport: Transport;
  /** Stops the service, then its transport. */
  close(): Promise<void>;
}

/** A transport for one test: RabbitMQ with its own exchange (real mode), or the embedded one in a fresh database. */
export async function createTestTransport(
  logger: Logger = createLogger({ service: 'test', level: 'silent', pretty: false }),
): Promise<Transport> {
  return testMode() === 'real'
    ? new RabbitMqTransport({ url: testAmqpUrl(), exchange: uniqueName('ex'), logger })
    : new EmbeddedTransport({ url: await createTestDatabase('broker'), logger, pollIntervalMs: 200 });
}

/**
 * Starts a service module in-process on port 0 with a fresh database of its own and a transport
 * of this run's mode. `env` adds or overrides settings; short retry delays by default.
 */
export async function startTestService<DB, S extends ConfigSchema>(
  module: ServiceModule<DB, S>,
  env: Record<string, string | undefined> = {},
  options: { transport?: Transport; logger?: Logger } = {},
): Promise<TestService<DB, S>> {
  const logger = options.logger ?? createLogger({ service: module.name, level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false });
  const transport = options.transport ?? (await createTestTransport(logger));
  const running = await startService(module, {
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      CONSUMER_RETRY_DELAYS_MS: '50,100,200',
      OUTBOX_POLL_INTERVAL_MS: '200',
      ...(module.migrations ? { DATABASE_URL: await createTestDatabase(module.name) } : {}),
      ...env,
    },
    transport,
    logger,
  });
  return {
    ...running,
    transport,
    close: async () => {
      await running.stop();
      if (!options.transport) await transport.close();
    },
  };
}
