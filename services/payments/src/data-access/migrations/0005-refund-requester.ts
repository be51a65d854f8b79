import { type Kysely, sql } from '@emporium/db';

/**
 * The audit trail of admin refunds (RELIABILITY.md I13): who asked (`sub` of the verified access
 * token) and with which token (`jti`), written in the transaction that records the refund.
 * Operations asked by a message or by the reconciliation have no requester.
 *
 * Admin refunds recorded before this migration did not keep their requester: they say
 * `unrecorded` (not a user id), so that the CHECK holds for every row, old ones included (a NOT
 * VALID constraint would still refuse the worker's updates of an old refund in flight).
 */
export const UNRECORDED_REQUESTER = 'unrecorded';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE payment_operations ADD COLUMN requested_by text, ADD COLUMN requested_token_id text`.execute(db);
  await sql`UPDATE payment_operations SET requested_by = ${sql.lit(UNRECORDED_REQUESTER)} WHERE origin = 'admin'`.execute(db);
  await sql`
    ALTER TABLE payment_operations ADD CONSTRAINT payment_operations_requested_by_check
    CHECK ((origin = 'admin') = (requested_by IS NOT NULL))`.execute(db);
}
