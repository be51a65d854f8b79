/**
 * Shared by the guarantee tests and their child processes: a database with the outbox, the
 * inbox and an `effects` table, a writer that commits messages, and a consumer whose effect is
 * one row per handled message (so a double effect is visible as a second row).
 */
import { createDb, type Db, migrate, sql } from '@emporium/db';
import {
  appendToOutbox,
  createEnvelope,
  defineMessage,
  EmbeddedTransport,
  InboxBatcher,
  inboxMigrations,
  MessageRegistry,
  outboxMigrations,
  type QueueSpec,
  RabbitMqTransport,
  type Transport,
} from '@emporium/messaging';
import { createLogger, type Logger } from '@emporium/observability';
import { Type } from 'typebox';

export const TestEvent = defineMessage('test.thing.happened.v1', Type.Object({ n: Type.Integer(), poison: Type.Optional(Type.Boolean()) }));
export const registry = new MessageRegistry([TestEvent]);

export type TransportDescription =
  | { kind: 'rabbitmq'; url: string; exchange: string }
  | { kind: 'embedded'; url: string; leaseMs?: number };

export const quietLogger = (): Logger => createLogger({ service: 'test', level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false });

export function openTransport(d: TransportDescription, logger: Logger = quietLogger()): Transport {
  return d.kind === 'rabbitmq'
    ? new RabbitMqTransport({ url: d.url, exchange: d.exchange, queuePrefix: d.exchange, logger })
    : new EmbeddedTransport({ url: d.url, logger, pollIntervalMs: 200, leaseMs: d.leaseMs ?? 30_000 });
}

export async function openTestDb(url: string, poolSize = 10): Promise<Db<any>> {
  const db = createDb<any>(url, { max: poolSize });
  await migrate(db, { ...outboxMigrations, ...inboxMigrations }, 'platform_migrations');
  await migrate(db, {
    '0001_effects': {
      async up(d) {
        // No unique key on purpose: a message applied twice leaves two rows.
        await sql`CREATE TABLE effects (message_id uuid NOT NULL, n integer NOT NULL, attempt integer NOT NULL)`.execute(d);
      },
    },
  });
  return db;
}

/** Commits `count` messages from `writers` concurrent writers, `perTransaction` per transaction. */
export async function writeMessages(
  db: Db<any>,
  count: number,
  options: { writers?: number; perTransaction?: number; offset?: number } = {},
): Promise<void> {
  const writers = options.writers ?? 8;
  const per = options.perTransaction ?? 10;
  let next = options.offset ?? 0;
  const end = next + count;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < end) {
        const start = next;
        next = Math.min(end, next + per);
        const batch = Array.from({ length: next - start }, (_, i) =>
          createEnvelope(TestEvent, { n: start + i }, { source: 'test', subject: String(start + i) }),
        );
        await db.transaction().execute((trx) => appendToOutbox(trx, registry, batch));
      }
    }),
  );
}

export function queueSpec(name: string, overrides: Partial<QueueSpec> = {}): QueueSpec {
  return { name, bindings: ['test.#'], maxAttempts: 4, retryDelaysMs: [50, 100, 200], prefetch: 32, ...overrides };
}

/** The consumer of the tests: applies each message once (inbox), its effect one row. */
export function effectHandler(
  db: Db<any>,
  consumer: string,
  options: { afterCommit?: () => void; failWhen?: (n: number) => boolean } = {},
) {
  const inbox = new InboxBatcher(db, consumer);
  return async (envelope: { id: string; type: string; data: unknown }, delivery: { attempt: number; queue: string }) => {
    const data = envelope.data as { n: number; poison?: boolean };
    if (options.failWhen?.(data.n)) throw new Error(`cannot handle message ${data.n}`);
    await inbox.submit(envelope as never, delivery, async (trx) => {
      await sql`INSERT INTO effects (message_id, n, attempt) VALUES (${envelope.id}, ${data.n}, ${delivery.attempt})`.execute(trx);
    });
    options.afterCommit?.();
  };
}

export async function effectStats(db: Db<any>): Promise<{ rows: number; distinct: number; unsent: number }> {
  const r = await sql<{
    rows: number;
    distinct: number;
  }>`SELECT count(*)::int AS rows, count(DISTINCT message_id)::int AS distinct FROM effects`.execute(db);
  const u = await sql<{ unsent: number }>`SELECT count(*)::int AS unsent FROM outbox WHERE sent_at IS NULL`.execute(db);
  return { rows: r.rows[0]?.rows ?? 0, distinct: r.rows[0]?.distinct ?? 0, unsent: u.rows[0]?.unsent ?? 0 };
}
