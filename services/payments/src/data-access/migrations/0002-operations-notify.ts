import { type Kysely, sql } from '@emporium/db';

/**
 * Channel the operation worker LISTENs on. The trigger below NOTIFYs it when an operation becomes
 * pending and unclaimed (recorded, or rescheduled), in the transaction that does it: PostgreSQL
 * delivers it at commit, once per transaction however many rows, with no extra round trip.
 */
export const OPERATIONS_CHANNEL = 'emporium_payment_operations';

/**
 * Wakes the worker when there is (or will be) an operation to claim, instead of it polling: a new
 * authorize or capture used to wait up to a whole poll. A claim sets the lease (not
 * next_attempt_at) and an ended operation is no longer pending, so neither wakes anyone.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION payment_operations_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify(${sql.lit(OPERATIONS_CHANNEL)}, '');
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER payment_operations_notify AFTER INSERT OR UPDATE OF next_attempt_at ON payment_operations
    FOR EACH ROW WHEN (NEW.status = 'pending' AND NEW.lease_owner IS NULL)
    EXECUTE FUNCTION payment_operations_notify()`.execute(db);
}
