/**
 * The change feed behind `Prefer: wait`: the trigger on orders NOTIFYs the order id when its
 * version moves, and a watch on that id wakes; a watch on another order does not.
 */
import { randomUUID } from 'node:crypto';
import { createDb, type Db, migrate, sql } from '@emporium/db';
import { createLogger } from '@emporium/observability';
import { createTestDatabase } from '@emporium/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { OrderChangeFeed } from '../src/data-access/order-changes.js';
import { ordersMigrations } from '../src/index.js';

let db: Db<any>;
let feed: OrderChangeFeed;
beforeAll(async () => {
  db = createDb(await createTestDatabase('orders_changes'));
  await migrate(db, ordersMigrations);
  feed = new OrderChangeFeed(db.pool, createLogger({ service: 'test', level: 'silent', pretty: false }));
});
afterAll(async () => {
  await feed?.stop();
  await db?.destroy();
});

async function anOrder(): Promise<string> {
  const id = randomUUID();
  await sql`
    INSERT INTO orders (id, customer_id, email, shipping_address, total_amount, currency, status, version, created_at, updated_at)
    VALUES (${id}, 'c', 'c@example.test', '{}', 100, 'EUR', 'reserving', 1, now(), now())`.execute(db);
  return id;
}

it('when another connection moves an order’s version, then a watch on that order wakes; one on another order sleeps on', async () => {
  const [changed, untouched] = [await anOrder(), await anOrder()];
  const watch = feed.watch(changed);
  const other = feed.watch(untouched);
  await feed.listening();
  let otherWoke = false;
  void other.next(60_000).then(() => {
    otherWoke = true;
  });
  const woke = watch.next(60_000);
  await sql`UPDATE orders SET version = version + 1 WHERE id = ${changed}`.execute(db);
  await woke; // without the notification this waits 60 s: the test's own timeout fails first
  expect(otherWoke).toBe(false);
  other.close();
  watch.close();
});

it('the trigger names the order whose version moved, once per change, and stays quiet for an update that leaves the version alone', async () => {
  const [quiet, moved] = [await anOrder(), await anOrder()];
  const listener = await db.pool.connect();
  const heard: string[] = [];
  try {
    listener.on('notification', (n) => heard.push(n.payload ?? ''));
    await listener.query('LISTEN orders_order_changed');
    await sql`UPDATE orders SET email = 'd@example.test' WHERE id = ${quiet}`.execute(db);
    await sql`UPDATE orders SET version = version + 1 WHERE id = ${moved}`.execute(db);
    // Notifications arrive in commit order: once the second is heard, the first would have been.
    await expect.poll(() => heard.length).toBeGreaterThan(0);
    expect(heard).toEqual([moved]);
  } finally {
    listener.release(true);
  }
});
