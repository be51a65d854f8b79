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
