import { InventoryReserveRequestedV1 } from '@emporium/contracts';
import { sql } from '@emporium/db';
import { createEnvelope, type Envelope } from '@emporium/messaging';
import { waitFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  aSku,
  anOrder,
  commit,
  type Inventory,
  inMinutes,
  journalOf,
  levels,
  metric,
  observe,
  outboxOf,
  release,
  reservationOf,
  reserve,
  startInventory,
  stock,
} from './support.js';

const TTL_MS = 400;

let inv: Inventory;
let received: Envelope<any>[];

beforeAll(async () => {
  inv = await startInventory({ INVENTORY_RESERVATION_TTL_MS: String(TTL_MS), INVENTORY_EXPIRY_SWEEP_INTERVAL_MS: '50' });
  received = await observe(inv);
});
afterAll(async () => {
  await inv?.close();
});

/** Waits for the released (expired) event of the order, as a consumer receives it. */
const expiredEventOf = (orderId: string) =>
  waitFor(() => received.find((e) => e.type === 'inventory.reservation.released.v1' && e.data.orderId === orderId), {
    description: `the expiry of ${orderId}`,
    timeoutMs: 10_000,
  });

describe('expiry', () => {
  it('when a reservation is not committed within the TTL, then its units are released with the released event (reason expired)', async () => {
    const sku = aSku('EXP');
    await stock(inv, sku, { 'berlin-1': 3 });
    const expiredBefore = await metric(inv, 'emporium_inventory_reservations_expired_total');
    const order = anOrder();
    const started = Date.now();

    // The command allows a day; the configured TTL shortens it.
    const answer = await reserve(inv, order, [{ sku, quantity: 3 }], inMinutes(24 * 60));
    expect(new Date(answer.data.expiresAt).getTime()).toBeLessThanOrEqual(Date.now() + TTL_MS);
    expect((await levels(inv, sku)).available).toBe(0);

    const event = await expiredEventOf(order);
    expect(Date.now() - started).toBeGreaterThanOrEqual(TTL_MS - 50);
    expect(event).toMatchObject({
      source: 'inventory',
      subject: order,
      data: { orderId: order, reason: 'expired', lines: [{ sku, quantity: 3 }] },
    });
    expect(await levels(inv, sku)).toMatchObject({ onHand: 3, reserved: 0, available: 3 });
    expect(await reservationOf(inv, order)).toMatchObject({ status: 'expired', releasedAt: expect.any(String) });
    expect(await metric(inv, 'emporium_inventory_reservations_expired_total')).toBeGreaterThanOrEqual(expiredBefore + 1);
    // Units back on the shelf: the SKU is in stock again.
    expect((await outboxOf(inv, sku, 'inventory.sku.back_in_stock.v1')).map((e) => e.data.available)).toEqual([3, 3]);
  });

  it('when the release request comes after the expiry, then it answers released (expired) again and nothing changes', async () => {
    const sku = aSku('EXP2');
    await stock(inv, sku, { 'berlin-1': 2 });
    const order = anOrder();
    await reserve(inv, order, [{ sku, quantity: 2 }]);
    await expiredEventOf(order);

    const answer = await release(inv, order);

    expect(answer.data).toEqual({ orderId: order, reason: 'expired', lines: [{ sku, quantity: 2 }] });
    expect(await levels(inv, sku)).toMatchObject({ onHand: 2, reserved: 0 });
    expect(await outboxOf(inv, order, 'inventory.reservation.released.v1')).toHaveLength(2);
  });
});

describe('a late commit (after the expiry released the units)', () => {
  it('when the stock still allows, then the lines are reserved again and committed at once', async () => {
    const sku = aSku('LATE');
    await stock(inv, sku, { 'berlin-1': 1, 'hamburg-1': 5 });
    const order = anOrder();
    await reserve(inv, order, [{ sku, quantity: 2 }]);
    await expiredEventOf(order);

    const answer = await commit(inv, order);

    expect(answer.data).toEqual({ orderId: order, lines: [{ sku, quantity: 2 }] });
    expect(await levels(inv, sku)).toMatchObject({ onHand: 4, reserved: 0 });
    expect(await reservationOf(inv, order)).toMatchObject({ status: 'committed' });
    expect(await journalOf(inv, sku)).toMatchObject({ received: 6, committed: 2, onHand: 4, reserved: 0 });
  });

  it('when others took the units meanwhile, then it fails with the shortages, sells nothing, and keeps failing even once stock returns', async () => {
    const sku = aSku('LATE2');
    await stock(inv, sku, { 'berlin-1': 2 });
    const late = anOrder();
    await reserve(inv, late, [{ sku, quantity: 2 }]);
    await expiredEventOf(late);
    // Another order takes one of the units the expiry gave back (with a long enough deadline).
    const other = anOrder();
    await reserve(inv, other, [{ sku, quantity: 1 }], inMinutes(10));

    const answer = await commit(inv, late);

    expect(answer.type).toBe('inventory.reservation.failed.v1');
    expect(answer.data).toEqual({ orderId: late, reason: 'out_of_stock', shortages: [{ sku, requested: 2, available: 1 }] });
    expect((await levels(inv, sku)).onHand).toBe(2);
    expect((await reservationOf(inv, late)).status).toBe('failed');

    // Orders compensates on the failure; a repeated commit must not sell now that stock is back.
    await stock(inv, sku, { 'berlin-1': 10 });
    expect((await commit(inv, late)).data).toEqual(answer.data);
    expect((await levels(inv, sku)).onHand).toBe(10);
    expect((await release(inv, late)).data).toEqual({ orderId: late, reason: 'requested', lines: [] });
  });
});

describe('a commit after the deadline but before the sweep', () => {
  it('when the sweep has not released the reservation yet, then the commit takes the units it still holds', async () => {
    // A sweep that never comes in this test.
    const slow = await startInventory({ INVENTORY_RESERVATION_TTL_MS: '100', INVENTORY_EXPIRY_SWEEP_INTERVAL_MS: '3600000' });
    try {
      const sku = aSku('EDGE');
      await stock(slow, sku, { 'berlin-1': 2 });
      const order = anOrder();
      const answer = await reserve(slow, order, [{ sku, quantity: 2 }]);
      await waitFor(() => Date.now() > new Date(answer.data.expiresAt).getTime() + 10, { description: 'the deadline to pass' });

      expect((await commit(slow, order)).type).toBe('inventory.reservation.committed.v1');
      expect(await levels(slow, sku)).toMatchObject({ onHand: 0, reserved: 0 });
    } finally {
      await slow.close();
    }
  });
});

describe('several replicas', () => {
  it('when two replicas sweep the same expired reservations, then each is released exactly once', async () => {
    const env = {
      INVENTORY_RESERVATION_TTL_MS: '200',
      INVENTORY_EXPIRY_SWEEP_INTERVAL_MS: '20',
      INVENTORY_EXPIRY_BATCH_SIZE: '5',
    };
    const one = await startInventory(env);
    const two = await startInventory(env, { replicaOf: one });
    try {
      const sku = aSku('SWEEP');
      await stock(one, sku, { 'berlin-1': 40, 'hamburg-1': 40 });
      const orders = Array.from({ length: 60 }, anOrder);
      await one.transport.publish(
        orders.map((orderId) =>
          createEnvelope(
            InventoryReserveRequestedV1,
            { orderId, lines: [{ sku, quantity: 1 }], expiresAt: inMinutes(10) },
            { source: 'orders', subject: orderId },
          ),
        ),
      );

      await waitFor(
        async () => {
          const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM reservations WHERE status = 'expired'`.execute(one.ctx.db);
          return r.rows[0]!.n === orders.length;
        },
        { description: 'every reservation expired', timeoutMs: 20_000 },
      );

      const released = await sql<{ subject: string; n: number }>`
        SELECT envelope->>'subject' AS subject, count(*)::int AS n FROM outbox
        WHERE type = 'inventory.reservation.released.v1' GROUP BY 1`.execute(one.ctx.db);
      expect(released.rows).toHaveLength(orders.length);
      expect(released.rows.every((r) => r.n === 1)).toBe(true);
      expect(await levels(one, sku)).toMatchObject({ onHand: 80, reserved: 0, available: 80 });
      expect(await journalOf(one, sku)).toMatchObject({ received: 80, committed: 0, onHand: 80, reserved: 0 });
      const expiredCounted =
        (await metric(one, 'emporium_inventory_reservations_expired_total')) +
        (await metric(two, 'emporium_inventory_reservations_expired_total'));
      expect(expiredCounted).toBe(orders.length);
    } finally {
      await two.close();
      await one.close();
    }
  });
});
