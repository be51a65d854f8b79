import { type Kysely, sql } from '@emporium/db';

/**
 * NOTIFY `orders_order_changed` with the order id whenever an order's version moves, delivered at
 * commit: readers waiting on an order's status (GET with `Prefer: wait`) answer at once, on
 * whichever replica they wait.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION orders_order_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('orders_order_changed', NEW.id::text);
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER orders_order_changed AFTER UPDATE ON orders
    FOR EACH ROW WHEN (OLD.version IS DISTINCT FROM NEW.version) EXECUTE FUNCTION orders_order_changed()`.execute(db);
}
