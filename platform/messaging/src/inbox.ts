import { type Kysely, sql, type Transaction } from 'kysely';
import { inTransaction, type MigrationSet } from '@emporium/db';
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

export type InboxHandler<DB> = (trx: Transaction<DB>, envelope: Envelope, delivery: Delivery) => Promise<void>;

/**
 * Idempotent consumer: records the message id in the same transaction as the handler's effects.
 * A redelivery finds the row and changes nothing; a crash before commit leaves neither.
 * Returns true when the effects were applied, false when the message was a duplicate.
 */
export async function handleOnce<DB>(
  db: Kysely<DB>,
  consumer: string,
  envelope: Envelope,
  delivery: Delivery,
  handler: InboxHandler<DB>,
): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const inserted = await sql<{ message_id: string }>`
      INSERT INTO inbox (consumer, message_id, type) VALUES (${consumer}, ${envelope.id}, ${envelope.type})
      ON CONFLICT DO NOTHING RETURNING message_id`.execute(trx);
    if (inserted.rows.length === 0) return false;
    await handler(trx, envelope, delivery);
    return true;
  });
}

interface Pending<DB> {
  envelope: Envelope;
  delivery: Delivery;
  handler: InboxHandler<DB>;
  resolve(applied: boolean): void;
  reject(error: unknown): void;
}

/**
 * Idempotent consumption in group commits: messages that arrive while a transaction is running
 * wait and go together into the next one — their inbox rows in one INSERT, each handler's effects
 * in the same transaction, one commit for all. Each message still commits together with its inbox
 * row (never one without the other). If any handler fails, the batch rolls back and every message
 * of it runs again alone (handleOnce), so only the failing one fails. A consumer's durable commits
 * per message fall from one to about 1/batch: consumption is otherwise bound by commits.
 * Handlers must do database work only (they may run again after a rollback).
 */
export class InboxBatcher<DB> {
  private readonly pending: Pending<DB>[] = [];
  private active = 0;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly consumer: string,
    private readonly options: { maxBatch?: number; concurrency?: number } = {},
  ) {}

  /** Resolves true once the effects are committed, false for a duplicate; rejects if the handler failed. */
  submit(envelope: Envelope, delivery: Delivery, handler: InboxHandler<DB>): Promise<boolean> {
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

  private async run(batch: Pending<DB>[]): Promise<void> {
    if (batch.length > 1) {
      try {
        const applied = await inTransaction(this.db, async (trx) => {
          const values = batch.map((p) => sql`(${this.consumer}, ${p.envelope.id}::uuid, ${p.envelope.type})`);
          const inserted = await sql<{ message_id: string }>`
            INSERT INTO inbox (consumer, message_id, type) VALUES ${sql.join(values)}
            ON CONFLICT DO NOTHING RETURNING message_id`.execute(trx);
          const fresh = new Set(inserted.rows.map((r) => r.message_id));
          const result: boolean[] = [];
          for (const p of batch) {
            // The same message twice in one batch (a redelivery): only its first copy applies.
            const first = fresh.delete(p.envelope.id);
            if (first) await p.handler(trx, p.envelope, p.delivery);
            result.push(first);
          }
          return result;
        });
        for (const [i, p] of batch.entries()) p.resolve(applied[i] ?? false);
        return;
      } catch {
        // Fall through: one by one, so that only the message that fails is retried.
      }
    }
    for (const p of batch) {
      try {
        p.resolve(await handleOnce(this.db, this.consumer, p.envelope, p.delivery, p.handler));
      } catch (error) {
        p.reject(error);
      }
    }
  }
}
