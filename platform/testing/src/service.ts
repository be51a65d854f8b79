import type { ConfigSchema } from '@emporium/config';
import amqp from 'amqplib';
import {
  DEFAULT_RETRY_DELAYS_MS,
  deadLetterExchangeOf,
  EmbeddedTransport,
  parkingQueueOf,
  type QueueSpec,
  RabbitMqTransport,
  retryQueueOf,
  type Transport,
} from '@emporium/messaging';
import { createLogger, type Logger } from '@emporium/observability';
import { type RunningService, type ServiceModule, startService } from '@emporium/service';
import { testAuthEnv } from './auth.js';
import { createTestDatabase, testAmqpUrl, testMode, uniqueName } from './env.js';

export interface TestService<DB, S extends ConfigSchema> extends RunningService<DB, S> {
  transport: Transport;
  /** Stops the service, then its transport. */
  close(): Promise<void>;
}

/**
 * A transport for one test: RabbitMQ with its own exchange and queue prefix (real mode), or the
 * embedded one in a fresh database. Closing it also deletes the RabbitMQ queues the test declared,
 * so runs do not pile quorum queues up on the shared broker.
 */
export async function createTestTransport(
  logger: Logger = createLogger({ service: 'test', level: 'silent', pretty: false }),
): Promise<Transport> {
  if (testMode() !== 'real') return new EmbeddedTransport({ url: await createTestDatabase('broker'), logger, pollIntervalMs: 200 });
  const exchange = uniqueName('ex');
  const transport = new RabbitMqTransport({ url: testAmqpUrl(), exchange, queuePrefix: exchange, logger });
  const declared = new Map<string, QueueSpec>();
  const remember = (specs: QueueSpec[]) => {
    for (const q of specs) declared.set(q.name, q);
  };
  const declare = transport.declare.bind(transport);
  const consume = transport.consume.bind(transport);
  const close = transport.close.bind(transport);
  return Object.assign(transport, {
    declare: async (specs: QueueSpec[]) => {
      remember(specs);
      return declare(specs);
    },
    consume: async (spec: QueueSpec, handler: Parameters<Transport['consume']>[1]) => {
      remember([spec]);
      return consume(spec, handler);
    },
    close: async () => {
      await close();
      await deleteTestTopology(exchange, [...declared.values()]);
    },
  });
}

/**
 * Deletes what a RabbitMQ transport with this exchange as queue prefix declared for the specs:
 * each queue, its parking and retry queues, its own exchange (`.dlx`), then the shared exchange.
 */
export async function deleteTestTopology(exchange: string, specs: QueueSpec[]): Promise<void> {
  const conn = await amqp.connect(testAmqpUrl());
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    for (const spec of specs) {
      const q = `${exchange}.${spec.name}`;
      const retries = [...new Set(spec.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS)].map((ms) => retryQueueOf(q, ms));
      for (const name of [q, parkingQueueOf(q), ...retries]) await ch.deleteQueue(name).catch(() => {});
      await ch.deleteExchange(deadLetterExchangeOf(q)).catch(() => {});
    }
    await ch.deleteExchange(exchange).catch(() => {});
    await ch.close().catch(() => {});
  } finally {
    await conn.close().catch(() => {});
  }
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
      // A service that checks access tokens trusts the test issuer (auth.ts) unless told otherwise.
      ...('AUTH_ISSUER' in module.configSchema ? await testAuthEnv() : {}),
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
