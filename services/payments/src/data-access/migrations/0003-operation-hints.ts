import { type Kysely, sql } from '@emporium/db';

/**
 * A provider webhook that reports what an operation of ours in flight will be answered (its
 * authorization, capture or void) is not re-read from the provider: it marks the operation
 * instead. Once the operation's answer is recorded, an operation the answer left pending (no
 * answer, or one that lags behind the event) is looked at again at once, not after its backoff.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE payment_operations ADD COLUMN hinted_at timestamptz`.execute(db);
}
