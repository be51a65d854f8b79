import { createDb, type Db, migrate, type MigrationSet, sql } from '@emporium/db';
import type { Logger, Metrics } from '@emporium/observability';
import type { Kysely } from 'kysely';
import type { Envelope } from './envelope.js';
import {
  type ConsumeOptions,
  type ConsumerHandle,
  DEFAULT_MAX_ATTEMPTS,
  type DeliveryHandler,
  type ParkedMessage,
  PermanentFailure,
  type QueueSpec,
  retryDelayFor,
  type Transport,
  type TransportHealth,
  topicMatches,
} from './transport.js';
import { NotifyWaker } from './waker.js';

/**
 * The broker of the embedded mode: queues live in a PostgreSQL database of their own and the
 * consumers run in-process. It keeps RabbitMQ's guarantees rather than imitating them in memory:
 * a publish "confirms" when its INSERT commits; a delivery is leased (the lease is the unacked
 * state: a consumer that dies lets it lapse and the message is delivered again); attempts are
 * counted at delivery, so a crash loop also ends in the parking queue; retries wait in the same
 * row (visible_at); parked rows stay until replayed. Nothing committed is lost in a crash.
 */
export const embeddedBrokerMigrations: MigrationSet = {
  '0001_queues': {
    async up(db: Kysely<any>) {
      await sql`
        CREATE TABLE broker_bindings (
          queue text NOT NULL,
          pattern text NOT NULL,
          PRIMARY KEY (queue, pattern)
        )`.execute(db);
      await sql`
        CREATE TABLE broker_messages (
          seq bigserial,
          queue text NOT NULL,
          id uuid NOT NULL,
          envelope jsonb NOT NULL,
          attempts integer NOT NULL DEFAULT 0,
          visible_at timestamptz NOT NULL DEFAULT now(),
          parked_at timestamptz,
          last_error text,
          PRIMARY KEY (queue, id)
        )`.execute(db);
      await sql`CREATE INDEX broker_messages_ready ON broker_messages (queue, visible_at, seq) WHERE parked_at IS NULL`.execute(db);
      await sql`CREATE INDEX broker_messages_parked ON broker_messages (queue, parked_at) WHERE parked_at IS NOT NULL`.execute(db);
    },
  },
};

const channelOf = (queue: string) => `emporium_q_${queue.replace(/[^a-zA-Z0-9_]/g, '_')}`.slice(0, 63);

export interface EmbeddedTransportOptions {
  /** URL of the broker database (created by the caller, e.g. with ensureDatabase). */
  url: string;
  logger: Logger;
  metrics?: Metrics;
  /** How long a delivered message stays invisible before it is delivered again (a dead consumer). */
  leaseMs?: number;
  /** Fallback poll when no NOTIFY arrives. */
  pollIntervalMs?: number;
  poolSize?: number;
}

export class EmbeddedTransport implements Transport {
  readonly kind = 'embedded' as const;
  private readonly db: Db<any>;
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  private bindings: { queue: string; pattern: string }[] | undefined;
  private readonly declared = new Set<string>();
  private readonly consumers = new Set<EmbeddedConsumer>();
  private migrated: Promise<unknown> | undefined;

  constructor(private readonly options: EmbeddedTransportOptions) {
    this.db = createDb(options.url, { max: options.poolSize ?? 12, applicationName: 'emporium-embedded-broker', onError: () => {} });
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    if (options.metrics) this.registerBrokerGauge(options.metrics);
  }

  /**
   * The same series as the RabbitMQ transport's, so dashboards and alerts hold in both modes;
   * here the broker is its database, asked at scrape time.
   */
  private registerBrokerGauge(metrics: Metrics): void {
    const transport = this;
    metrics.gauge('emporium_broker_connected', '1 while the broker (here its database) answers, else 0', [], async function collect() {
      this.set((await transport.health()).connected ? 1 : 0);
    });
  }

  private ensureSchema(): Promise<unknown> {
    this.migrated ??= migrate(this.db, embeddedBrokerMigrations, 'broker_migrations');
    return this.migrated;
  }

  async declare(queues: QueueSpec[]): Promise<void> {
    await this.ensureSchema();
    for (const q of queues) {
      for (const pattern of q.bindings) {
        await sql`INSERT INTO broker_bindings (queue, pattern) VALUES (${q.name}, ${pattern}) ON CONFLICT DO NOTHING`.execute(this.db);
      }
      this.declared.add(q.name);
    }
    this.bindings = undefined;
  }

  private async routes(): Promise<{ queue: string; pattern: string }[]> {
    // Bindings may be declared by another process sharing the broker database: read them again
    // when unknown, and on every publish that finds a type nobody here knew about.
    this.bindings ??= (await sql<{ queue: string; pattern: string }>`SELECT queue, pattern FROM broker_bindings`.execute(this.db)).rows;
    return this.bindings;
  }

  async publish(messages: Envelope[]): Promise<void> {
    if (messages.length === 0) return;
    await this.ensureSchema();
    this.bindings = undefined;
    const routes = await this.routes();
    const rows: { queue: string; id: string; envelope: string }[] = [];
    for (const m of messages) {
      const queues = new Set(routes.filter((b) => topicMatches(b.pattern, m.type)).map((b) => b.queue));
      for (const queue of queues) rows.push({ queue, id: m.id, envelope: JSON.stringify(m) });
    }
    if (rows.length === 0) return; // unroutable: like a topic exchange, dropped (nobody subscribes)
    await this.db.transaction().execute(async (trx) => {
      // A message published again (a relay that died before marking it sent) is the same row.
      for (let i = 0; i < rows.length; i += 1000) {
        await trx
          .insertInto('broker_messages')
          .values(rows.slice(i, i + 1000))
          .onConflict((oc) => oc.columns(['queue', 'id']).doNothing())
          .execute();
      }
      for (const queue of new Set(rows.map((r) => r.queue))) await sql`SELECT pg_notify(${channelOf(queue)}, '')`.execute(trx);
    });
  }

  async consume(spec: QueueSpec, handler: DeliveryHandler, options: ConsumeOptions = {}): Promise<ConsumerHandle> {
    await this.declare([spec]);
    if (options.metrics && options.metrics !== this.options.metrics) this.registerBrokerGauge(options.metrics);
    const consumer = new EmbeddedConsumer(
      this.db,
      spec,
      handler,
      this.options.logger,
      this.leaseMs,
      this.pollIntervalMs,
      options.metrics ?? this.options.metrics,
    );
    this.consumers.add(consumer);
    consumer.start();
    return {
      stop: async () => {
        await consumer.stop();
        this.consumers.delete(consumer);
      },
    };
  }

  async listParked(queue: string, limit = 100): Promise<ParkedMessage[]> {
    await this.ensureSchema();
    const rows = await sql<{ envelope: Envelope; attempts: number; last_error: string | null; parked_at: Date }>`
      SELECT envelope, attempts, last_error, parked_at FROM broker_messages
      WHERE queue = ${queue} AND parked_at IS NOT NULL ORDER BY parked_at, seq LIMIT ${limit}`.execute(this.db);
    return rows.rows.map((r) => ({
      queue,
      envelope: r.envelope,
      attempts: r.attempts,
      lastError: r.last_error ?? undefined,
      parkedAt: r.parked_at.toISOString(),
    }));
  }

  async replayParked(queue: string, ids?: string[]): Promise<number> {
    await this.ensureSchema();
    const result = ids
      ? await sql`UPDATE broker_messages SET parked_at = NULL, attempts = 0, visible_at = now(), last_error = NULL
          WHERE queue = ${queue} AND parked_at IS NOT NULL AND id = ANY(${ids}::uuid[])`.execute(this.db)
      : await sql`UPDATE broker_messages SET parked_at = NULL, attempts = 0, visible_at = now(), last_error = NULL
          WHERE queue = ${queue} AND parked_at IS NOT NULL`.execute(this.db);
    await sql`SELECT pg_notify(${channelOf(queue)}, '')`.execute(this.db);
    return Number(result.numAffectedRows ?? 0);
  }

  async health(): Promise<TransportHealth> {
    try {
      await this.ensureSchema();
      const rows = await sql<{ queue: string }>`SELECT DISTINCT queue FROM broker_bindings`.execute(this.db);
      const present = new Set(rows.rows.map((r) => r.queue));
      return { connected: true, topologyDeclared: [...this.declared].every((q) => present.has(q)) };
    } catch {
      return { connected: false, topologyDeclared: false };
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
    this.consumers.clear();
    await this.db.destroy();
  }
}

interface Leased {
  id: string;
  envelope: Envelope;
  attempts: number;
}

class EmbeddedConsumer {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly waker: NotifyWaker;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly maxAttempts: number;
  private readonly prefetch: number;
  private readonly consumed;
  private readonly duration;

  constructor(
    private readonly db: Db<any>,
    private readonly spec: QueueSpec,
    private readonly handler: DeliveryHandler,
    private readonly logger: Logger,
    private readonly leaseMs: number,
    private readonly pollIntervalMs: number,
    metrics: Metrics | undefined,
  ) {
    this.maxAttempts = spec.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.prefetch = spec.prefetch ?? 16;
    this.waker = new NotifyWaker(db.pool, channelOf(spec.name), logger);
    this.consumed = metrics?.counter('emporium_messages_consumed_total', 'Messages handled by a consumer, by outcome', [
      'queue',
      'type',
      'outcome',
    ]);
    this.duration = metrics?.histogram('emporium_message_handler_duration_seconds', 'Time a consumer spent handling a message', [
      'queue',
      'type',
    ]);
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.waker.wake();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    await this.waker.close();
  }

  private async run(): Promise<void> {
    await this.waker.listen();
    let backoff = 0;
    while (this.running) {
      const free = this.prefetch - this.inFlight.size;
      if (free <= 0) {
        await Promise.race(this.inFlight);
        continue;
      }
      let leased: Leased[];
      let parked: number;
      this.waker.beginWork();
      try {
        ({ leased, parked } = await this.lease(free));
        backoff = 0;
      } catch (error) {
        backoff = Math.min(10_000, backoff ? backoff * 2 : 100);
        this.logger.warn({ err: error, queue: this.spec.name }, 'embedded consumer: lease failed; backing off');
        await this.waker.idle(backoff);
        continue;
      }
      for (const m of leased) {
        const p = this.deliver(m).finally(() => {
          this.inFlight.delete(p);
          this.waker.wake();
        });
        this.inFlight.add(p);
      }
      if (leased.length === 0 && parked === 0 && this.running) await this.waker.idle(await this.nextDueInMs());
    }
  }

  /**
   * Leases up to `n` ready messages (attempts counted now, as RabbitMQ's delivery count is).
   * A message already delivered maxAttempts times — a handler that kills its process — is parked.
   */
  private async lease(n: number): Promise<{ leased: Leased[]; parked: number }> {
    const rows = await sql<Leased & { over: boolean }>`
      WITH ready AS (
        SELECT queue, id FROM broker_messages
        WHERE queue = ${this.spec.name} AND parked_at IS NULL AND visible_at <= now()
        ORDER BY visible_at, seq LIMIT ${n} FOR UPDATE SKIP LOCKED
      )
      UPDATE broker_messages m SET
        attempts = m.attempts + 1,
        visible_at = now() + make_interval(secs => ${this.leaseMs / 1000}),
        parked_at = CASE WHEN m.attempts + 1 > ${this.maxAttempts} THEN now() END,
        last_error = CASE WHEN m.attempts + 1 > ${this.maxAttempts} THEN coalesce(m.last_error, 'delivery limit reached') ELSE m.last_error END
      FROM ready WHERE m.queue = ready.queue AND m.id = ready.id
      RETURNING m.id, m.envelope, m.attempts, (m.parked_at IS NOT NULL) AS over`.execute(this.db);
    const leased = rows.rows.filter((r) => !r.over);
    const parked = rows.rows.length - leased.length;
    for (const r of rows.rows) if (r.over) this.consumed?.inc({ queue: this.spec.name, type: r.envelope.type, outcome: 'parked' });
    return { leased, parked };
  }

  private async deliver(m: Leased): Promise<void> {
    const started = process.hrtime.bigint();
    const labels = { queue: this.spec.name, type: m.envelope.type };
    try {
      await this.handler(m.envelope, { attempt: m.attempts, queue: this.spec.name });
      await sql`DELETE FROM broker_messages WHERE queue = ${this.spec.name} AND id = ${m.id}`.execute(this.db); // the ack
      this.consumed?.inc({ ...labels, outcome: 'ok' });
    } catch (error) {
      const park = error instanceof PermanentFailure || m.attempts >= this.maxAttempts;
      const message = String((error as Error)?.message ?? error).slice(0, 500);
      this.logger.warn(
        { err: error, queue: this.spec.name, type: m.envelope.type, messageId: m.id, attempt: m.attempts, parked: park },
        'message handling failed',
      );
      try {
        if (park) {
          await sql`UPDATE broker_messages SET parked_at = now(), last_error = ${message}
            WHERE queue = ${this.spec.name} AND id = ${m.id}`.execute(this.db);
        } else {
          const delay = retryDelayFor(this.spec, m.attempts);
          await sql`UPDATE broker_messages SET visible_at = now() + make_interval(secs => ${delay / 1000}), last_error = ${message}
            WHERE queue = ${this.spec.name} AND id = ${m.id}`.execute(this.db);
        }
      } catch (bookkeeping) {
        // The lease lapses and the message is delivered again: nothing is lost.
        this.logger.warn({ err: bookkeeping }, 'embedded consumer: could not record the failure');
      }
      this.consumed?.inc({ ...labels, outcome: park ? 'parked' : 'retried' });
    } finally {
      this.duration?.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /** Sleeps until the next message becomes visible (a retry or a lapsed lease), capped by the poll interval. */
  private async nextDueInMs(): Promise<number> {
    try {
      const r = await sql<{ ms: number | null }>`
        SELECT (extract(epoch FROM min(visible_at) - now()) * 1000)::float8 AS ms FROM broker_messages
        WHERE queue = ${this.spec.name} AND parked_at IS NULL`.execute(this.db);
      const ms = r.rows[0]?.ms;
      return ms === null || ms === undefined ? this.pollIntervalMs : Math.max(5, Math.min(this.pollIntervalMs, ms));
    } catch {
      return this.pollIntervalMs;
    }
  }
}
