import { sql } from '@emporium/db';
import type { NotificationsDb } from './db.js';

/** Remembers where to write to the customer about an order (the latest address wins). */
export async function upsertOrderContact(db: NotificationsDb, c: { orderId: string; customerId: string; email: string }): Promise<void> {
  await db
    .insertInto('order_contacts')
    .values({ order_id: c.orderId, customer_id: c.customerId, email: c.email })
    .onConflict((oc) => oc.column('order_id').doUpdateSet({ email: c.email, updated_at: sql<Date>`now()` }))
    .execute();
}

export async function findOrderEmail(db: NotificationsDb, orderId: string): Promise<string | undefined> {
  const row = await db.selectFrom('order_contacts').select('email').where('order_id', '=', orderId).executeTakeFirst();
  return row?.email;
}

/**
 * Serializes, until the transaction ends, the transactions that record what is known about one
 * order's address: the confirmation or cancellation that brings it, and a refund that needs it.
 * Without it a refund could miss an address committed a moment later and wait for ever.
 */
export async function lockOrderContact(db: NotificationsDb, orderId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`notifications/order-contact/${orderId.toLowerCase()}`}, 0))`.execute(db);
}
