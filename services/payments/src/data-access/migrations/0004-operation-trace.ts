import { type Kysely, sql } from '@emporium/db';

/**
 * The trace an operation was asked for in (W3C traceparent/tracestate): the worker runs its
 * provider calls in that trace, so a checkout stays one trace across the worker's queue.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE payment_operations ADD COLUMN traceparent text, ADD COLUMN tracestate text`.execute(db);
}
