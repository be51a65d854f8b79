import { InventoryReserveRequestedV1 } from '@emporium/contracts';
import { sql } from '@emporium/db';
import { createEnvelope, type Envelope } from '@emporium/messaging';
import { waitFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  aSku,
  anOrder,
  commit,
  expectProblem,
  handled,
  type Callers,
  callersOf,
  type Inventory,
  inMinutes,
  levels,
  metric,
  observe,
  outboxOf,
  release,
  reservationOf,
  reserve,
  send,
  startInventory,
  stock,
} from './support.js';

let inv: Inventory;
let as: Callers;
/** Every message the inventory published, as a consumer bound to `inventory.#` receives it. */
let received: Envelope<any>[];

beforeAll(async () => {
  inv = await startInventory();
  as = await callersOf(inv);
  received = await observe(inv);
});
afterAll(async () => {
  await inv?.close();
});

describe('reserve', () => {
  it('when every line is in stock, then the units are reserved across locations in location order and the success reaches a consumer', async () => {
    const [a, b] = [aSku('A'), aSku('B')];
    await stock(inv, a, { 'berlin-1': 2, 'hamburg-1': 5 });
    await stock(inv, b, { 'berlin-1': 1 });
    const order = anOrder();
    const expiresAt = inMinutes(10);

    const answer = await reserve(
      inv,
      order,
      [
        { sku: a, quantity: 3 },
        { sku: b, quantity: 1 },
      ],
      expiresAt,
    );

    expect(answer).toMatchObject({
      type: 'inventory.reservation.succeeded.v1',
      source: 'inventory',
      subject: order,
      data: {
        orderId: order,
        lines: [
          { sku: a, quantity: 3 },
          { sku: b, quantity: 1 },
        ],
        expiresAt,
      },
    });
    expect(await levels(inv, a)).toEqual({
      sku: a,
      onHand: 7,
      reserved: 3,
      available: 4,
      locations: [
        { location: 'berlin-1', onHand: 2, reserved: 2, available: 0 },
        { location: 'hamburg-1', onHand: 5, reserved: 1, available: 4 },
      ],
    });
    expect((await reservationOf(inv, order)).allocations).toEqual([
      { sku: a, location: 'berlin-1', quantity: 2 },
      { sku: a, location: 'hamburg-1', quantity: 1 },
      { sku: b, location: 'berlin-1', quantity: 1 },
    ]);
    const delivered = await waitFor(() => received.find((e) => e.id === answer.id), { description: 'the success at a consumer' });
    expect(delivered.data.orderId).toBe(order);
  });

  it('when one line is short, then it fails with the shortages and nothing at all is reserved', async () => {
    const [plenty, scarce] = [aSku('PLENTY'), aSku('SCARCE')];
    await stock(inv, plenty, { 'berlin-1': 10 });
    await stock(inv, scarce, { 'berlin-1': 1, 'hamburg-1': 1 });
    const order = anOrder();

    const answer = await reserve(inv, order, [
      { sku: plenty, quantity: 4 },
      { sku: scarce, quantity: 3 },
    ]);

    expect(answer.type).toBe('inventory.reservation.failed.v1');
    expect(answer.data).toEqual({ orderId: order, reason: 'out_of_stock', shortages: [{ sku: scarce, requested: 3, available: 2 }] });
    expect((await levels(inv, plenty)).reserved).toBe(0);
    expect((await levels(inv, scarce)).reserved).toBe(0);
    expect(await reservationOf(inv, order)).toMatchObject({
      status: 'failed',
      allocations: [],
      failure: { reason: 'out_of_stock', shortages: [{ sku: scarce, requested: 3, available: 2 }] },
    });
  });

  it('when a SKU has no stock anywhere, then it fails with unknown_sku and reserves nothing', async () => {
    const known = aSku('KNOWN');
    const ghost = aSku('GHOST');
    await stock(inv, known, { 'berlin-1': 5 });
    const order = anOrder();

    const answer = await reserve(inv, order, [
      { sku: known, quantity: 1 },
      { sku: ghost, quantity: 1 },
    ]);

    expect(answer.data).toEqual({ orderId: order, reason: 'unknown_sku', shortages: [{ sku: ghost, requested: 1, available: 0 }] });
    expect((await levels(inv, known)).reserved).toBe(0);
  });

  it('when the same SKU is on two lines, then their units are reserved together, all or nothing', async () => {
    const sku = aSku('TWICE');
    await stock(inv, sku, { 'berlin-1': 3 });
    const failed = await reserve(inv, anOrder(), [
      { sku, quantity: 2 },
      { sku, quantity: 2 },
    ]);
    expect(failed.data.shortages).toEqual([{ sku, requested: 4, available: 3 }]);
    const ok = await reserve(inv, anOrder(), [
      { sku, quantity: 2 },
      { sku, quantity: 1 },
    ]);
    expect(ok.type).toBe('inventory.reservation.succeeded.v1');
    expect((await levels(inv, sku)).available).toBe(0);
  });

  it('when the reserve command comes again (a new message for the same order), then it answers the same success and reserves nothing new', async () => {
    const sku = aSku('AGAIN');
    await stock(inv, sku, { 'berlin-1': 10 });
    const order = anOrder();
    const first = await reserve(inv, order, [{ sku, quantity: 4 }]);

    const second = await reserve(inv, order, [{ sku, quantity: 4 }]);
    // Even with other lines, the order's reservation is the one it has.
    const third = await reserve(inv, order, [{ sku, quantity: 6 }]);

    expect(second.id).not.toBe(first.id);
    expect([second.data, third.data]).toEqual([first.data, first.data]);
    expect(await levels(inv, sku)).toMatchObject({ onHand: 10, reserved: 4 });
    expect(await outboxOf(inv, order, 'inventory.reservation.succeeded.v1')).toHaveLength(3);
  });

  it('when a failed reserve comes again after stock arrived, then it answers the same failure and still reserves nothing', async () => {
    const sku = aSku('LATER');
    await stock(inv, sku, { 'berlin-1': 1 });
    const order = anOrder();
    const first = await reserve(inv, order, [{ sku, quantity: 2 }]);
    await stock(inv, sku, { 'berlin-1': 5 });

    const again = await reserve(inv, order, [{ sku, quantity: 2 }]);

    expect(again.type).toBe('inventory.reservation.failed.v1');
    expect(again.data).toEqual(first.data);
    expect((await levels(inv, sku)).reserved).toBe(0);
  });

  it('when the very same message is delivered twice, then the inbox skips it: one answer, one reservation', async () => {
    const sku = aSku('DUP');
    await stock(inv, sku, { 'berlin-1': 5 });
    const order = anOrder();
    const envelope = createEnvelope(
      InventoryReserveRequestedV1,
      { orderId: order, lines: [{ sku, quantity: 2 }], expiresAt: inMinutes(10) },
      { source: 'orders', subject: order },
    );
    await inv.transport.publish([envelope, envelope]);
    await inv.transport.publish([envelope]);
    await handled(inv, envelope.id);
    // A later command for another order is handled after the duplicates were seen.
    await reserve(inv, anOrder(), [{ sku, quantity: 1 }]);

    expect(await outboxOf(inv, order)).toHaveLength(1);
    expect((await levels(inv, sku)).reserved).toBe(3);
  });

  it("caps a reservation's deadline at the configured TTL (15 minutes by default)", async () => {
    const sku = aSku('TTL');
    await stock(inv, sku, { 'berlin-1': 1 });
    const before = Date.now();
    const answer = await reserve(inv, anOrder(), [{ sku, quantity: 1 }], inMinutes(60 * 24));
    const expiresAt = new Date(answer.data.expiresAt).getTime();
    expect(expiresAt).toBeGreaterThanOrEqual(before + 15 * 60_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 15 * 60_000);
  });

  it('counts decisions by outcome in emporium_inventory_reservations_total, repeats excluded, and the live ones in the gauge', async () => {
    const sku = aSku('COUNT');
    await stock(inv, sku, { 'berlin-1': 1 });
    const [ok, short] = await Promise.all([
      metric(inv, 'emporium_inventory_reservations_total', { outcome: 'succeeded' }),
      metric(inv, 'emporium_inventory_reservations_total', { outcome: 'out_of_stock' }),
    ]);
    const active = await metric(inv, 'emporium_inventory_active_reservations');
    const order = anOrder();
    await reserve(inv, order, [{ sku, quantity: 1 }]);
    await reserve(inv, order, [{ sku, quantity: 1 }]);
    await reserve(inv, anOrder(), [{ sku, quantity: 1 }]);
    expect(await metric(inv, 'emporium_inventory_reservations_total', { outcome: 'succeeded' })).toBe(ok + 1);
    expect(await metric(inv, 'emporium_inventory_reservations_total', { outcome: 'out_of_stock' })).toBe(short + 1);
    expect(await metric(inv, 'emporium_inventory_active_reservations')).toBe(active + 1);
  });
});

describe('commit', () => {
  it('when the reservation is committed, then on hand and reserved both go down by its units and the committed event answers', async () => {
    const sku = aSku('SELL');
    await stock(inv, sku, { 'berlin-1': 3, 'hamburg-1': 3 });
    const order = anOrder();
    await reserve(inv, order, [{ sku, quantity: 4 }]);

    const answer = await commit(inv, order);

    expect(answer).toMatchObject({
      type: 'inventory.reservation.committed.v1',
      subject: order,
      data: { orderId: order, lines: [{ sku, quantity: 4 }] },
    });
    expect(await levels(inv, sku)).toMatchObject({
      onHand: 2,
      reserved: 0,
      available: 2,
      locations: [
        { location: 'berlin-1', onHand: 0, reserved: 0 },
        { location: 'hamburg-1', onHand: 2, reserved: 0 },
      ],
    });
    expect((await reservationOf(inv, order)).status).toBe('committed');
  });

  it('when the commit comes again, then it answers committed again and nothing changes', async () => {
    const sku = aSku('SELL2');
    await stock(inv, sku, { 'berlin-1': 5 });
    const order = anOrder();
    await reserve(inv, order, [{ sku, quantity: 2 }]);
    await commit(inv, order);

    const again = await commit(inv, order);

    expect(again.type).toBe('inventory.reservation.committed.v1');
    expect(again.data).toEqual({ orderId: order, lines: [{ sku, quantity: 2 }] });
    expect(await levels(inv, sku)).toMatchObject({ onHand: 3, reserved: 0 });
    const journal = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM stock_movements WHERE order_id = ${order} AND kind = 'commit'`.execute(inv.ctx.db);
    expect(journal.rows[0]!.n).toBe(1);
  });

  it('when the order has no reservation, then the commit fails and records nothing', async () => {
    const order = anOrder();
    const answer = await commit(inv, order);
    expect(answer.data).toEqual({ orderId: order, reason: 'out_of_stock', shortages: [] });
    expectProblem(await inv.app.inject({ url: `/api/inventory/reservations/${order}`, headers: as.support }), 404, 'reservation_not_found');
  });

  it('when the reservation was released on request, then a commit is refused (failed) and takes no stock', async () => {
    const sku = aSku('GONE');
    await stock(inv, sku, { 'berlin-1': 5 });
    const order = anOrder();
    await reserve(inv, order, [{ sku, quantity: 2 }]);
    await release(inv, order);

    const answer = await commit(inv, order);

    expect(answer.type).toBe('inventory.reservation.failed.v1');
    expect(answer.data).toEqual({ orderId: order, reason: 'out_of_stock', shortages: [{ sku, requested: 2, available: 0 }] });
    expect(await levels(inv, sku)).toMatchObject({ onHand: 5, reserved: 0 });
    expect((await reservationOf(inv, order)).status).toBe('released');
  });

  it('when the reserve had failed, then a commit answers that failure again', async () => {
    const sku = aSku('NEVER');
    await stock(inv, sku, { 'berlin-1': 1 });
    const order = anOrder();
    const failed = await reserve(inv, order, [{ sku, quantity: 5 }]);
    expect((await commit(inv, order)).data).toEqual(failed.data);
    expect((await levels(inv, sku)).onHand).toBe(1);
  });
});

describe('release', () => {
  it('when a reservation is released, then its units are available again and the released event answers with its lines', async () => {
    const sku = aSku('BACK');
    await stock(inv, sku, { 'berlin-1': 4 });
    const order = anOrder();
    await reserve(inv, order, [{ sku, quantity: 3 }]);

    const answer = await release(inv, order);

    expect(answer).toMatchObject({
      type: 'inventory.reservation.released.v1',
      subject: order,
      data: { orderId: order, reason: 'requested', lines: [{ sku, quantity: 3 }] },
    });
    expect(await levels(inv, sku)).toMatchObject({ onHand: 4, reserved: 0, available: 4 });
    expect((await reservationOf(inv, order)).status).toBe('released');
  });

  it('when the release comes again, then it answers released again and nothing changes', async () => {
    const sku = aSku('BACK2');
    await stock(inv, sku, { 'berlin-1': 4 });
    const order = anOrder();
    await reserve(inv, order, [{ sku, quantity: 3 }]);
    await release(inv, order);
    await reserve(inv, anOrder(), [{ sku, quantity: 2 }]);

    const again = await release(inv, order);

    expect(again.data).toEqual({ orderId: order, reason: 'requested', lines: [{ sku, quantity: 3 }] });
    expect(await levels(inv, sku)).toMatchObject({ onHand: 4, reserved: 2 });
  });

  it('when the order has no reservation, or its reserve failed, then release answers released with no lines and changes nothing', async () => {
    const none = anOrder();
    expect((await release(inv, none)).data).toEqual({ orderId: none, reason: 'requested', lines: [] });
    const sku = aSku('NOPE');
    await stock(inv, sku, { 'berlin-1': 1 });
    const failed = anOrder();
    await reserve(inv, failed, [{ sku, quantity: 2 }]);
    expect((await release(inv, failed)).data).toEqual({ orderId: failed, reason: 'requested', lines: [] });
    expect(await levels(inv, sku)).toMatchObject({ onHand: 1, reserved: 0 });
  });

  it('when a committed order is released (cancelled after the commit), then its units go back on hand where they were taken, once', async () => {
    const sku = aSku('RETURN');
    await stock(inv, sku, { 'berlin-1': 1, 'hamburg-1': 4 });
    const order = anOrder();
    await reserve(inv, order, [{ sku, quantity: 3 }]);
    await commit(inv, order);
    expect((await levels(inv, sku)).onHand).toBe(2);

    const answer = await release(inv, order);
    await release(inv, order);

    expect(answer.data).toEqual({ orderId: order, reason: 'requested', lines: [{ sku, quantity: 3 }] });
    expect(await levels(inv, sku)).toMatchObject({
      onHand: 5,
      reserved: 0,
      locations: [
        { location: 'berlin-1', onHand: 1 },
        { location: 'hamburg-1', onHand: 4 },
      ],
    });
    // Nothing is committed twice either: the commit after the release is refused.
    expect((await commit(inv, order)).type).toBe('inventory.reservation.failed.v1');
    expect((await levels(inv, sku)).onHand).toBe(5);
  });
});

describe('stock events', () => {
  it('when a reservation takes the last units, then inventory.sku.out_of_stock.v1; when they come back, then back_in_stock with the units', async () => {
    const sku = aSku('LAST');
    await stock(inv, sku, { 'berlin-1': 1, 'hamburg-1': 1 });
    const order = anOrder();
    await reserve(inv, order, [{ sku, quantity: 2 }]);

    const out = await outboxOf(inv, sku, 'inventory.sku.out_of_stock.v1');
    expect(out.map((e) => e.data)).toEqual([{ sku }]);
    expect(out[0]).toMatchObject({ source: 'inventory', subject: sku });

    await release(inv, order);
    const back = await outboxOf(inv, sku, 'inventory.sku.back_in_stock.v1');
    // The first stocking counts as coming into stock too.
    expect(back.map((e) => e.data)).toEqual([
      { sku, available: 1 },
      { sku, available: 2 },
    ]);
    await waitFor(() => received.some((e) => e.id === back.at(-1)!.id), { description: 'back_in_stock at a consumer' });
  });

  it('when availability changes without crossing zero, then no stock event is published', async () => {
    const sku = aSku('CALM');
    await stock(inv, sku, { 'berlin-1': 5 });
    const order = anOrder();
    await reserve(inv, order, [{ sku, quantity: 2 }]);
    await commit(inv, order);
    await reserve(inv, anOrder(), [{ sku, quantity: 1 }]);
    expect(await outboxOf(inv, sku, 'inventory.sku.out_of_stock.v1')).toEqual([]);
    expect(await outboxOf(inv, sku, 'inventory.sku.back_in_stock.v1')).toHaveLength(1);
  });

  it('counts each time a SKU runs out in emporium_inventory_stockouts_total', async () => {
    const before = await metric(inv, 'emporium_inventory_stockouts_total');
    const sku = aSku('OUT');
    await stock(inv, sku, { 'berlin-1': 1 });
    await reserve(inv, anOrder(), [{ sku, quantity: 1 }]);
    expect(await metric(inv, 'emporium_inventory_stockouts_total')).toBe(before + 1);
  });
});

describe('GET /api/inventory/reservations/:orderId', () => {
  it("answers staff the reservation's state, lines, allocations and deadline; others 401/403; a malformed id 400", async () => {
    const sku = aSku('VIEW');
    await stock(inv, sku, { 'berlin-1': 2 });
    const order = anOrder();
    const answer = await reserve(inv, order, [{ sku, quantity: 2 }]);
    expect(await reservationOf(inv, order)).toEqual({
      orderId: order,
      status: 'reserved',
      lines: [{ sku, quantity: 2 }],
      allocations: [{ sku, location: 'berlin-1', quantity: 2 }],
      expiresAt: answer.data.expiresAt,
      failure: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      committedAt: null,
      releasedAt: null,
    });
    const url = `/api/inventory/reservations/${order}`;
    expectProblem(await inv.app.inject({ url }), 401, 'unauthenticated');
    expectProblem(await inv.app.inject({ url, headers: as.customer }), 403, 'forbidden');
    expectProblem(await inv.app.inject({ url: '/api/inventory/reservations/not-a-uuid', headers: as.support }), 400, 'validation_failed');
  });
});

describe('messages the inventory cannot read', () => {
  it('when a command breaks its schema, then it is parked and changes nothing, while the next command flows', async () => {
    const sku = aSku('POISON');
    await stock(inv, sku, { 'berlin-1': 5 });
    const order = anOrder();
    await inv.transport.publish([
      {
        ...createEnvelope(
          InventoryReserveRequestedV1,
          { orderId: order, lines: [{ sku, quantity: 1 }], expiresAt: inMinutes(5) },
          { source: 'orders', subject: order },
        ),
        data: { orderId: order, lines: [{ sku, quantity: 0 }], expiresAt: inMinutes(5) },
      },
    ]);
    await send(inv, InventoryReserveRequestedV1, { orderId: anOrder(), lines: [{ sku, quantity: 1 }], expiresAt: inMinutes(5) });
    await waitFor(
      async () => (await inv.transport.listParked(inv.name)).some((p) => p.envelope?.data && (p.envelope.data as any).orderId === order),
      {
        description: 'the poison message parked',
      },
    );
    expect(await outboxOf(inv, order)).toEqual([]);
    expect((await levels(inv, sku)).reserved).toBe(1);
  });
});
