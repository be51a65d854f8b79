import { type Kysely, sql, type Transaction } from 'kysely';
import type { MigrationSet } from '@emporium/db';
import { traceCarrierOf } from '@emporium/observability';
import type { Envelope, MessageRegistry } from './envelope.js';

/**
 * Channel the relay LISTENs on. A statement trigger on the outbox NOTIFYs it, delivered by
 * PostgreSQL at commit (one per transaction however many rows): no extra round trip per write.
 */
export const OUTBOX_CHANNEL = 'emporium_outbox';

export interface OutboxTable {
  seq: bigint | number;
  id: string;
  type: string;
  envelope: Envelope;
  created_at: Date;
  sent_at: Date | null;
  publish_attempts: number;
  last_error: string | null;
}

/** Platform migrations, run in every service database that publishes (own history table). */
export const outboxMigrations: MigrationSet = {
  '0001_outbox': {
    async up(db: Kysely<any>) {
      await sql`
        CREATE TABLE outbox (
          seq bigserial PRIMARY KEY,
          id uuid NOT NULL UNIQUE,
          type text NOT NULL,
          envelope jsonb NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          sent_at timestamptz,
          publish_attempts integer NOT NULL DEFAULT 0,
          last_error text
        )`.execute(db);
      // The relay only ever reads unsent rows, in order: keep that index small.
      await sql`CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at IS NULL`.execute(db);
      await sql`CREATE INDEX outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL`.execute(db);
    },
  },
  // Was a `SELECT pg_notify(...)` after every insert: a round trip per writing transaction.
  '0002_outbox_notify_trigger': {
    async up(db: Kysely<any>) {
      await sql`
        CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify(${sql.lit(OUTBOX_CHANNEL)}, '');
          RETURN NULL;
        END $$`.execute(db);
      await sql`CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()`.execute(db);
    },
  },
};

/**
 * Appends messages to the outbox inside the caller's transaction (STYLE.md §6: no dual writes).
 * Each envelope is validated first: an invalid message never reaches the table.
 *
 * The active trace context (the request or message being handled) is stored with each message
 * that carries none yet, so that the relay's publish and the consumer continue that trace
 * however much later they run. Without tracing there is none, and the envelopes stay as given.
 */
export async function appendToOutbox(trx: Transaction<any>, registry: MessageRegistry, envelopes: Envelope | Envelope[]): Promise<void> {
  const given = Array.isArray(envelopes) ? envelopes : [envelopes];
  if (given.length === 0) return;
  const carrier = traceCarrierOf();
  const list = carrier.traceparent ? given.map((e) => (e.traceparent ? e : { ...e, ...carrier })) : given;
  for (const e of list) registry.validate(e);
  await trx
    .insertInto('outbox')
    .values(list.map((e) => ({ id: e.id, type: e.type, envelope: JSON.stringify(e) })))
    .execute();
}
