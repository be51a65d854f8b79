import { createTokenVerifier, type TokenVerifier } from '@emporium/auth';
import { type ConfigOf, ConfigError, type ConfigSchema, loadConfig } from '@emporium/config';
import { createDb, type Db, ensureDatabase, migrate, type MigrationSet, sql, type Transaction } from '@emporium/db';
import {
  type ConsumerHandle,
  EmbeddedTransport,
  type Envelope,
  type InboxHandler,
  InboxBatcher,
  inboxMigrations,
  InvalidMessageError,
  type MessageDefinition,
  MessageRegistry,
  OutboxRelay,
  outboxMigrations,
  PermanentFailure,
  type QueueSpec,
  RabbitMqTransport,
  type Transport,
} from '@emporium/messaging';
import {
  bindToActiveContext,
  createLogger,
  createMetrics,
  flushTraces,
  inProcessSpan,
  type Logger,
  type Metrics,
} from '@emporium/observability';
import { createServiceApp, type ReadinessCheck, type ServiceApp, type ServiceAppOptions } from './app.js';
import { databaseConfig } from './base-config.js';

/** What a service's buildApp and handlers receive: everything passed in, nothing global. */
export interface ServiceContext<DB, S extends ConfigSchema> {
  name: string;
  config: ConfigOf<S>;
  logger: Logger;
  metrics: Metrics;
  /** The service's own database (absent for a service without migrations, e.g. the gateway). */
  db: Db<DB>;
  transport: Transport | undefined;
  /** Schemas of every message the service publishes or consumes. */
  messages: MessageRegistry;
  readiness: ReadinessCheck[];
  /** createServiceApp with this service's name, logger, metrics, readiness and body limit. */
  createApp(extra?: Partial<ServiceAppOptions>): Promise<ServiceApp>;
}

export interface BackgroundJob {
  stop(): Promise<void>;
}

/** A service, declared once; started by its own main.ts or by the embedded launcher. */
export interface ServiceModule<DB, S extends ConfigSchema> {
  name: string;
  description: string;
  configSchema: S;
  /** The service's own forward-only migrations; presence means the service owns a database. */
  migrations?: MigrationSet;
  publishes?: MessageDefinition[];
  consumes?: {
    definitions: MessageDefinition[];
    /**
     * Handlers by message type, each run once per message id in the inbox transaction. The
     * fourth argument is what `lockBatch` returned in that transaction.
     */
    handlers: Record<string, InboxHandler<DB, any>>;
    /**
     * Runs in every inbox transaction before its handlers, with the messages they will apply, and
     * takes every lock they need in the service's one global lock order (see InboxBatchLock in
     * @emporium/messaging). A service whose handlers lock rows that different messages share
     * gives it: messages are applied in group commits, up to four at once, and without it two
     * concurrent batches lock those rows in crossing orders and deadlock.
     */
    lockBatch?: (trx: Transaction<DB>, envelopes: readonly Envelope[]) => Promise<any>;
    bindings?: string[];
  };
  buildApp(ctx: ServiceContext<DB, S>): Promise<ServiceApp>;
  /** Timers and loops the service runs beside its HTTP server (started after listen). */
  jobs?(ctx: ServiceContext<DB, S>): BackgroundJob[];
}

export interface StartOptions {
  env: Record<string, string | undefined>;
  /** A transport shared by several services in one process (embedded mode). Not closed by stop(). */
  transport?: Transport;
  logger?: Logger;
  /** Do not listen (tests that use inject()). */
  listen?: boolean;
  /** Run the outbox relay in this process (default true). */
  relay?: boolean;
}

export interface RunningService<DB, S extends ConfigSchema> {
  name: string;
  url: string;
  app: ServiceApp;
  ctx: ServiceContext<DB, S>;
  relay: OutboxRelay | undefined;
  stop(): Promise<void>;
}

const PLATFORM_MIGRATIONS: MigrationSet = { ...outboxMigrations, ...inboxMigrations };

function transportFromConfig(config: Record<string, unknown>, logger: Logger, metrics: Metrics, name: string): Transport | undefined {
  if (typeof config.AMQP_URL === 'string') {
    return new RabbitMqTransport({
      url: config.AMQP_URL,
      exchange: String(config.AMQP_EXCHANGE ?? 'emporium'),
      declareExchange: config.AMQP_DECLARE_EXCHANGE !== false,
      ...(typeof config.AMQP_QUEUE_PREFIX === 'string' ? { queuePrefix: config.AMQP_QUEUE_PREFIX } : {}),
      logger,
      metrics,
      connectionName: name,
    });
  }
  if (typeof config.BROKER_DATABASE_URL === 'string') {
    return new EmbeddedTransport({ url: config.BROKER_DATABASE_URL, logger, metrics });
  }
  if ('AMQP_URL' in config) throw new ConfigError('AMQP_URL', 'is required (or BROKER_DATABASE_URL for the embedded transport)');
  return undefined;
}

/** The access-token verifier of a service whose config has authConfig(); none otherwise. */
function tokenVerifierFromConfig(config: Record<string, unknown>, name: string): TokenVerifier | undefined {
  if (typeof config.AUTH_ISSUER !== 'string') return undefined;
  const issuer = config.AUTH_ISSUER.replace(/\/$/, '');
  return createTokenVerifier({
    issuer,
    audience: typeof config.AUTH_AUDIENCE === 'string' ? config.AUTH_AUDIENCE : name,
    jwksUrl: typeof config.AUTH_JWKS_URL === 'string' ? config.AUTH_JWKS_URL : `${issuer}/jwks`,
    clockToleranceSec: Number(config.AUTH_CLOCK_TOLERANCE_SECONDS ?? 5),
  });
}

export function queueSpecOf(module: ServiceModule<any, any>, config: Record<string, unknown>): QueueSpec | undefined {
  if (!module.consumes) return undefined;
  return {
    name: module.name,
    bindings: module.consumes.bindings ?? Object.keys(module.consumes.handlers),
    prefetch: (config.CONSUMER_PREFETCH as number | undefined) ?? 16,
    maxAttempts: (config.CONSUMER_MAX_ATTEMPTS as number | undefined) ?? 5,
    retryDelaysMs: (config.CONSUMER_RETRY_DELAYS_MS as number[] | undefined) ?? [1_000, 5_000, 30_000, 120_000],
  };
}

/**
 * The composition root shared by every service: config → logger/metrics → database and
 * migrations → transport and topology → app → relay and consumers → listen.
 * Throws ConfigError for a bad setting (main.ts turns it into one line and an exit).
 */
export async function startService<DB, S extends ConfigSchema>(
  module: ServiceModule<DB, S>,
  options: StartOptions,
): Promise<RunningService<DB, S>> {
  const config = loadConfig(module.configSchema, options.env);
  const c = config as Record<string, unknown>;
  const logger =
    options.logger?.child({ service: module.name }) ??
    createLogger({
      service: module.name,
      level: String(c.LOG_LEVEL ?? 'info'),
      ...(c.LOG_PRETTY !== undefined ? { pretty: Boolean(c.LOG_PRETTY) } : {}),
    });
  const metrics = createMetrics(module.name);
  const cleanup: (() => Promise<void>)[] = [];
  try {
    let db: Db<DB> | undefined;
    if (module.migrations) {
      const url = String(c.DATABASE_URL);
      db = createDb<DB>(url, {
        max: Number(c.DATABASE_POOL_SIZE ?? 10),
        applicationName: module.name,
        onError: (e) => logger.warn({ err: e }, 'idle database connection lost'),
      });
      cleanup.unshift(() => db!.destroy());
      await migrate(db, PLATFORM_MIGRATIONS, 'platform_migrations');
      const applied = await migrate(db, module.migrations, 'schema_migrations');
      if (applied.length) logger.info({ applied }, 'migrations applied');
    }

    const ownsTransport = !options.transport;
    if (ownsTransport && typeof c.BROKER_DATABASE_URL === 'string' && !c.AMQP_URL) {
      const u = new URL(c.BROKER_DATABASE_URL);
      u.pathname = '/postgres';
      await ensureDatabase(u.toString(), new URL(c.BROKER_DATABASE_URL).pathname.slice(1));
    }
    const transport = options.transport ?? transportFromConfig(c, logger, metrics, module.name);
    if (transport && ownsTransport) cleanup.unshift(() => transport.close());
    const spec = queueSpecOf(module, c);
    if (transport) await transport.declare(spec ? [spec] : []);

    const messages = new MessageRegistry([...(module.publishes ?? []), ...(module.consumes?.definitions ?? [])]);
    const readiness: ReadinessCheck[] = [];
    if (db) {
      const d = db;
      readiness.push({
        name: 'database',
        check: async () => {
          await sql`SELECT 1`.execute(d);
          return true;
        },
      });
    }
    if (transport) {
      readiness.push({ name: 'broker', check: async () => (await transport.health()).connected });
      readiness.push({ name: 'topology', check: async () => (await transport.health()).topologyDeclared });
    }
    const tokenVerifier = tokenVerifierFromConfig(c, module.name);
    const ctx: ServiceContext<DB, S> = {
      name: module.name,
      config,
      logger,
      metrics,
      db: db as Db<DB>,
      transport,
      messages,
      readiness,
      createApp: (extra = {}) =>
        createServiceApp({
          name: module.name,
          description: module.description,
          logger,
          metrics,
          readiness,
          bodyLimit: Number(c.BODY_LIMIT_BYTES ?? 65_536),
          ...(tokenVerifier ? { tokenVerifier } : {}),
          ...extra,
        }),
    };

    const app = await module.buildApp(ctx);
    cleanup.unshift(() => app.close());

    const relay =
      db && transport && options.relay !== false
        ? new OutboxRelay({
            db,
            transport,
            logger,
            metrics,
            batchSize: Number(c.OUTBOX_BATCH_SIZE ?? 500),
            pollIntervalMs: Number(c.OUTBOX_POLL_INTERVAL_MS ?? 1_000),
          })
        : undefined;

    let consumer: ConsumerHandle | undefined;
    if (spec && transport && db && module.consumes) {
      consumer = await transport.consume(
        spec,
        dispatcher(
          db,
          module.name,
          messages,
          module.consumes,
          logger,
          metrics,
          transport.kind === 'rabbitmq' ? 'rabbitmq' : 'emporium_embedded',
        ),
        // The service's own registry counts its consumer, also when services share one transport.
        { metrics },
      );
    }
    relay?.start();

    let url = '';
    if (options.listen !== false) {
      url = await app.listen({ port: Number(c.PORT ?? 0), host: String(c.HOST ?? '127.0.0.1') });
      url = url.replace('0.0.0.0', '127.0.0.1').replace('[::]', '127.0.0.1');
    } else {
      await app.ready();
    }
    const jobs = module.jobs?.(ctx) ?? [];
    logger.info({ url, transport: transport?.kind }, `${module.name} started`);

    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        // Readiness fails first so no new traffic is routed here; then drain messages and requests.
        app.markShuttingDown();
        await consumer?.stop();
        await app.close();
        await relay?.stop();
        await Promise.all(jobs.map((j) => j.stop()));
        for (const step of cleanup.slice(1)) await step().catch((e) => logger.warn({ err: e }, 'shutdown step failed'));
        logger.info(`${module.name} stopped`);
      })();
      return stopping;
    };
    return { name: module.name, url, app, ctx, relay, stop };
  } catch (error) {
    for (const step of cleanup) await step().catch(() => {});
    throw error;
  }
}

/** Validates, de-duplicates through the inbox, and routes each message to its handler. */
export function dispatcher<DB>(
  db: Db<DB>,
  consumer: string,
  registry: MessageRegistry,
  consumes: Pick<NonNullable<ServiceModule<DB, any>['consumes']>, 'handlers' | 'lockBatch'>,
  logger: Logger,
  metrics?: Metrics,
  /** `messaging.system` of the consumer spans: the transport's kind. */
  messagingSystem = 'rabbitmq',
) {
  const { handlers, lockBatch } = consumes;
  const inbox = new InboxBatcher<DB, unknown>(db, consumer, { ...(lockBatch ? { lockBatch } : {}), ...(metrics ? { metrics } : {}) });
  return async (envelope: Envelope, delivery: { attempt: number; queue: string }) => {
    const handler = handlers[envelope.type];
    if (!handler) {
      logger.debug({ type: envelope.type }, 'no handler for message type; ignored');
      return;
    }
    // The message's own trace (see inProcessSpan). The inbox may run its handler in a group commit
    // started by another message: bound here, the handler's SQL and outbox appends stay in this one.
    const span = { system: messagingSystem, consumer, attempt: delivery.attempt };
    await inProcessSpan(envelope, span, async () => {
      try {
        registry.validate(envelope);
      } catch (error) {
        if (error instanceof InvalidMessageError) throw new PermanentFailure(error.message, { cause: error });
        throw error;
      }
      const applied = await inbox.submit(envelope, delivery, bindToActiveContext(handler));
      if (!applied) logger.debug({ messageId: envelope.id, type: envelope.type }, 'duplicate message skipped');
    });
  };
}

/**
 * For a service's main.ts: start from process.env, stop on SIGTERM/SIGINT within the drain
 * timeout, and turn a configuration error into one line naming the variable.
 */
export async function runMain<DB, S extends ConfigSchema>(module: ServiceModule<DB, S>): Promise<void> {
  // `node dist/main.js migrate`: the migrations alone, then exit. A Kubernetes init container runs
  // it before a new version serves; it reads only DATABASE_URL and starts no server or broker.
  if (process.argv[2] === 'migrate') {
    let db: Db<DB> | undefined;
    let code = 0;
    try {
      if (module.migrations) {
        const { DATABASE_URL } = loadConfig(databaseConfig(), process.env);
        db = createDb<DB>(DATABASE_URL, { max: 1, applicationName: `${module.name}-migrate` });
        await migrate(db, PLATFORM_MIGRATIONS, 'platform_migrations');
        const applied = await migrate(db, module.migrations, 'schema_migrations');
        process.stdout.write(`${module.name}: ${applied.length ? `applied ${applied.join(', ')}` : 'migrations up to date'}\n`);
      } else {
        process.stdout.write(`${module.name}: no migrations\n`);
      }
    } catch (error) {
      const invalid = error instanceof ConfigError;
      const why = invalid ? `invalid configuration: ${error.message}` : `migrations failed: ${String((error as Error).message ?? error)}`;
      process.stderr.write(`${module.name}: ${why.replace(/\s+/g, ' ')}\n`);
      code = invalid ? 78 : 1;
    } finally {
      await db?.destroy().catch(() => {});
    }
    process.exit(code);
  }
  let running: RunningService<DB, S>;
  try {
    running = await startService(module, { env: process.env });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${module.name}: invalid configuration: ${error.message}\n`);
      process.exit(78);
    }
    process.stderr.write(`${module.name}: failed to start: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  }
  const timeout = Number((running.ctx.config as Record<string, unknown>).SHUTDOWN_TIMEOUT_MS ?? 25_000);
  const shutdown = (signal: string) => {
    running.ctx.logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      running.ctx.logger.error('drain timed out; exiting');
      process.exit(1);
    }, timeout);
    timer.unref();
    running.stop().then(
      // The last spans are still in the exporter's batch: send them before the process ends.
      () => flushTraces().finally(() => process.exit(0)),
      (e) => {
        running.ctx.logger.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
