import { type Kysely, sql } from '@emporium/db';

/**
 * The region of an order: the customer's region (the `region` claim of their access token) when
 * the order was placed, so that support staff read the orders of their own region only. Orders
 * placed before, or by a customer without a region, have none: no support region matches them.
 * The index serves a support member's list (newest first), as orders_of_customer_newest_first
 * serves a customer's.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE orders ADD COLUMN region text`.execute(db);
  await sql`CREATE INDEX orders_of_region_newest_first ON orders (region, created_at DESC, id DESC) WHERE region IS NOT NULL`.execute(db);
}
