import { InventoryCommitRequestedV1, InventoryReserveRequestedV1 } from '@emporium/contracts';
import { sql } from '@emporium/db';
import { createEnvelope } from '@emporium/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  aSku,
  anOrder,
  handled,
  type Inventory,
  inMinutes,
  journalOf,
  levels,
  outboxOf,
  reserve,
  commit,
  startInventory,
  stock,
} from './support.js';

/** Two replicas on one database, consuming one queue: reservations really race (F17). */
let one: Inventory;
let two: Inventory;

beforeAll(async () => {
  one = await startInventory();
  two = await startInventory({}, { replicaOf: one });
});
afterAll(async () => {
  await two?.close();
  await one?.close();
});

describe('concurrent reservations for the last units (F17)', () => {
  it('when 50 orders reserve 10 units at once, then exactly 10 get one, 40 fail, and no level goes below zero', async () => {
    const [scarce, plenty] = [aSku('HOT'), aSku('SIDE')];
    await stock(one, scarce, { 'berlin-1': 6, 'hamburg-1': 4 });
    await stock(one, plenty, { 'berlin-1': 1000 });
    const orders = Array.from({ length: 50 }, anOrder);
    // Half the orders name the SKUs in the other order: locks are still taken in one order (no deadlock).
    const commands = orders.map((orderId, i) =>
      createEnvelope(
        InventoryReserveRequestedV1,
        {
          orderId,
          lines:
            i % 2
              ? [
                  { sku: plenty, quantity: 1 },
                  { sku: scarce, quantity: 1 },
                ]
              : [
                  { sku: scarce, quantity: 1 },
                  { sku: plenty, quantity: 1 },
                ],
          expiresAt: inMinutes(10),
        },
        { source: 'orders', subject: orderId },
      ),
    );
    await one.transport.publish(commands);
    for (const c of commands) await handled(one, c.id, 30_000);

    const answers = await Promise.all(orders.map((o) => outboxOf(one, o)));
    expect(answers.every((a) => a.length === 1)).toBe(true);
    const succeeded = answers.filter(([a]) => a!.type === 'inventory.reservation.succeeded.v1');
    const failed = answers.filter(([a]) => a!.type === 'inventory.reservation.failed.v1');
    expect(succeeded).toHaveLength(10);
    expect(failed).toHaveLength(40);
    for (const [f] of failed) expect(f!.data.shortages).toEqual([{ sku: scarce, requested: 1, available: 0 }]);

    expect(await levels(one, scarce)).toEqual({
      sku: scarce,
      onHand: 10,
      reserved: 10,
      available: 0,
      locations: [
        { location: 'berlin-1', onHand: 6, reserved: 6, available: 0 },
        { location: 'hamburg-1', onHand: 4, reserved: 4, available: 0 },
      ],
    });
    // Nothing of the side SKU is held for a failed order.
    expect((await levels(one, plenty)).reserved).toBe(10);
    const negative = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM stock_levels WHERE on_hand < 0 OR reserved < 0 OR reserved > on_hand`.execute(one.ctx.db);
    expect(negative.rows[0]!.n).toBe(0);
    expect(await outboxOf(one, scarce, 'inventory.sku.out_of_stock.v1')).toHaveLength(1);

    // The ten winners commit at once, through both replicas: every unit sold once.
    const winners = succeeded.map(([a]) => a!.data.orderId as string);
    const commits = winners.map((orderId) =>
      createEnvelope(InventoryCommitRequestedV1, { orderId }, { source: 'orders', subject: orderId }),
    );
    await one.transport.publish(commits);
    for (const c of commits) await handled(one, c.id, 30_000);
    expect(await levels(one, scarce)).toMatchObject({ onHand: 0, reserved: 0, available: 0 });
    expect(await journalOf(one, scarce)).toEqual({ received: 10, committed: 10, onHand: 0, reserved: 0 });
  });
});

describe('the database is the last line of defence', () => {
  it('when an UPDATE would reserve more than is on hand, or make either negative, then PostgreSQL refuses it', async () => {
    const sku = aSku('GUARD');
    await stock(one, sku, { 'berlin-1': 5 });
    const refusal = (query: Promise<unknown>) =>
      query.then(
        () => 'accepted',
        (e: { code?: string; constraint?: string }) => `${e.code} ${e.constraint}`,
      );

    expect(await refusal(sql`UPDATE stock_levels SET reserved = on_hand + 1 WHERE sku = ${sku}`.execute(one.ctx.db))).toBe(
      '23514 stock_levels_reserved_within_on_hand',
    );
    expect(await refusal(sql`UPDATE stock_levels SET on_hand = -1, reserved = 0 WHERE sku = ${sku}`.execute(one.ctx.db))).toMatch(
      /^23514 stock_levels_(on_hand_check|reserved_within_on_hand)$/,
    );
    expect(await refusal(sql`UPDATE stock_levels SET reserved = -1 WHERE sku = ${sku}`.execute(one.ctx.db))).toBe(
      '23514 stock_levels_reserved_check',
    );
    expect(await levels(one, sku)).toMatchObject({ onHand: 5, reserved: 0 });
  });

  it('when two careless writers both see 5 available and each reserves 3, then the second is refused even without any lock in the code', async () => {
    const sku = aSku('RACE');
    await stock(one, sku, { 'berlin-1': 5 });
    const a = await one.ctx.db.pool.connect();
    const b = await one.ctx.db.pool.connect();
    try {
      await a.query('BEGIN');
      await b.query('BEGIN');
      const seen = async (c: typeof a) =>
        Number((await c.query('SELECT on_hand - reserved AS available FROM stock_levels WHERE sku = $1', [sku])).rows[0].available);
      expect([await seen(a), await seen(b)]).toEqual([5, 5]);

      await a.query('UPDATE stock_levels SET reserved = reserved + 3 WHERE sku = $1', [sku]);
      const second = b.query('UPDATE stock_levels SET reserved = reserved + 3 WHERE sku = $1', [sku]).then(
        () => 'accepted',
        (e: { code?: string; constraint?: string }) => `${e.code} ${e.constraint}`,
      );
      await a.query('COMMIT');
      expect(await second).toBe('23514 stock_levels_reserved_within_on_hand');
      await b.query('ROLLBACK');
    } finally {
      a.release();
      b.release();
    }
    expect(await levels(one, sku)).toMatchObject({ onHand: 5, reserved: 3, available: 2 });
  });

  it('when an UPDATE would move a reservation against its state machine, then PostgreSQL refuses it (I11)', async () => {
    const sku = aSku('STATE');
    await stock(one, sku, { 'berlin-1': 1 });
    const order = anOrder();
    await reserve(one, order, [{ sku, quantity: 1 }]);
    await commit(one, order);
    const refused = await sql`UPDATE reservations SET status = 'reserved' WHERE order_id = ${order}`.execute(one.ctx.db).then(
      () => 'accepted',
      (e: { code?: string; constraint?: string }) => `${e.code} ${e.constraint}`,
    );
    expect(refused).toBe('23514 reservations_status_transition');
  });
});
