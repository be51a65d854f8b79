import { type Kysely, sql, type Transaction } from 'kysely';
import { inTransaction, type MigrationSet } from '@emporium/db';
import type { Metrics } from '@emporium/observability';
import type { Envelope } from './envelope.js';
import type { Delivery } from './transport.js';

export interface InboxTable {
  consumer: string;
  message_id: string;
  type: string;
  processed_at: Date;
}

export const inboxMigrations: MigrationSet = {
  '0001_inbox': {
    async up(db: Kysely<any>) {
      await sql`
        CREATE TABLE inbox (
          consumer text NOT NULL,
          message_id uuid NOT NULL,
          type text NOT NULL,
          processed_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (consumer, message_id)
        )`.execute(db);
      await sql`CREATE INDEX inbox_processed_at ON inbox (processed_at)`.execute(db);
    },
  },
};

/**
 * Applies one message inside its inbox transaction. `locks` is what the consumer's `lockBatch`
 * returned in this transaction (undefined when it has none).
 */
export type InboxHandler<DB, Locks = unknown> = (
  trx: Transaction<DB>,
  envelope: Envelope,
  delivery: Delivery,
  locks: Locks,
) => Promise<void>;

/**
 * Runs once in every inbox transaction, after the inbox rows and before the handlers, with the
 * messages whose handlers will run (a duplicate is not among them), in delivery order. It takes,
 * in the consumer's one global lock order, every lock those handlers need, and may return what
 * it read while locking; each handler gets that value. It must change nothing (it runs again if
 * the transaction does).
 *
 * Why: a group commit applies many messages one after another in one transaction. Without it
 * each handler locks its own rows as it goes, so two concurrent batches lock the rows of
 * different messages in crossing orders and deadlock (PostgreSQL breaks that only after
 * deadlock_timeout, and the batch runs again).
 */
export type InboxBatchLock<DB, Locks> = (trx: Transaction<DB>, envelopes: readonly Envelope[]) => Promise<Locks>;

/**
 * Records the messages in the inbox, in message id order (so that two transactions holding
 * copies of the same messages — a redelivery in flight — cannot wait for each other's rows in
 * crossing orders). Returns the ids that were new.
 */
async function recordInInbox<DB>(trx: Transaction<DB>, consumer: string, envelopes: readonly Envelope[]): Promise<Set<string>> {
  const ids = [...envelopes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const values = ids.map((e) => sql`(${consumer}, ${e.id}::uuid, ${e.type})`);
  const inserted = await sql<{ message_id: string }>`
    INSERT INTO inbox (consumer, message_id, type) VALUES ${sql.join(values)}
    ON CONFLICT DO NOTHING RETURNING message_id`.execute(trx);
  return new Set(inserted.rows.map((r) => r.message_id));
}

/**
 * Idempotent consumer: records the message id in the same transaction as the handler's effects.
 * A redelivery finds the row and changes nothing; a crash before commit leaves neither.
 * Returns true when the effects were applied, false when the message was a duplicate.
 * With `lockBatch`, it runs before the handler exactly as in a group commit of one message.
 */
export async function handleOnce<DB, Locks = undefined>(
  db: Kysely<DB>,
  consumer: string,
  envelope: Envelope,
  delivery: Delivery,
  handler: InboxHandler<DB, Locks>,
  lockBatch?: InboxBatchLock<DB, Locks>,
): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const fresh = await recordInInbox(trx, consumer, [envelope]);
    if (fresh.size === 0) return false;
    const locks = lockBatch ? await lockBatch(trx, [envelope]) : (undefined as Locks);
    await handler(trx, envelope, delivery, locks);
    return true;
  });
}

interface Pending<DB, Locks> {
  envelope: Envelope;
  delivery: Delivery;
  handler: InboxHandler<DB, Locks>;
  resolve(applied: boolean): void;
  reject(error: unknown): void;
}

export interface InboxBatcherOptions<DB, Locks> {
  /** Most messages in one transaction (64). */
  maxBatch?: number;
  /** Most transactions at once (4). */
  concurrency?: number;
  /** Takes every transaction's locks up front, in one global order: see InboxBatchLock. */
  lockBatch?: InboxBatchLock<DB, Locks>;
  /** Counts the duplicates skipped (emporium_inbox_duplicates_total). */
  metrics?: Metrics;
}

/**
 * Idempotent consumption in group commits: messages that arrive while a transaction is running
 * wait and go together into the next one — their inbox rows in one INSERT, each handler's effects
 * in the same transaction, one commit for all. Each message still commits together with its inbox
 * row (never one without the other). If any handler fails, the batch rolls back and every message
 * of it runs again alone (handleOnce), so only the failing one fails. A consumer's durable commits
 * per message fall from one to about 1/batch: consumption is otherwise bound by commits.
 * Handlers must do database work only (they may run again after a rollback).
 *
 * Up to `concurrency` batches run at once. A consumer whose handlers lock rows shared between
 * messages (stock) gives `lockBatch`, so that concurrent batches take their locks in one order.
 */
export class InboxBatcher<DB, Locks = undefined> {
  private readonly pending: Pending<DB, Locks>[] = [];
  private active = 0;
  private readonly duplicates;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly consumer: string,
    private readonly options: InboxBatcherOptions<DB, Locks> = {},
  ) {
    this.duplicates = options.metrics?.counter(
      'emporium_inbox_duplicates_total',
      'Messages skipped because their id was already in the inbox (a redelivery or a duplicate publish)',
      ['consumer', 'type'],
    );
  }

  /** Resolves true once the effects are committed, false for a duplicate; rejects if the handler failed. */
  submit(envelope: Envelope, delivery: Delivery, handler: InboxHandler<DB, Locks>): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ envelope, delivery, handler, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    const concurrency = this.options.concurrency ?? 4;
    while (this.active < concurrency && this.pending.length > 0) {
      const batch = this.pending.splice(0, this.options.maxBatch ?? 64);
      this.active++;
      void this.run(batch).finally(() => {
        this.active--;
        this.pump();
      });
    }
  }

  private async run(batch: Pending<DB, Locks>[]): Promise<void> {
    const { lockBatch } = this.options;
    if (batch.length > 1) {
      try {
        const applied = await inTransaction(this.db, async (trx) => {
          const fresh = await recordInInbox(
            trx,
            this.consumer,
            batch.map((p) => p.envelope),
          );
          // The same message twice in one batch (a redelivery): only its first copy applies.
          const firsts = batch.map((p) => fresh.delete(p.envelope.id));
          const toApply = batch.filter((_, i) => firsts[i]);
          if (toApply.length > 0) {
            const envelopes = toApply.map((p) => p.envelope);
            const locks = lockBatch ? await lockBatch(trx, envelopes) : (undefined as Locks);
            for (const p of toApply) await p.handler(trx, p.envelope, p.delivery, locks);
          }
          return firsts;
        });
        for (const [i, p] of batch.entries()) this.settle(p, applied[i] ?? false);
        return;
      } catch {
        // Fall through: one by one, so that only the message that fails is retried.
      }
    }
    for (const p of batch) {
      try {
        this.settle(p, await handleOnce(this.db, this.consumer, p.envelope, p.delivery, p.handler, lockBatch));
      } catch (error) {
        p.reject(error);
      }
    }
  }

  /** Counted once the transaction that found the duplicate committed (a rolled-back batch counts nothing). */
  private settle(p: Pending<DB, Locks>, applied: boolean): void {
    if (!applied) this.duplicates?.inc({ consumer: this.consumer, type: p.envelope.type });
    p.resolve(applied);
  }
}
