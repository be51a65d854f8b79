import { InventoryCommitRequestedV1, InventoryReserveRequestedV1 } from '@emporium/contracts';
import { createDb, sql } from '@emporium/db';
import { createEnvelope, type Envelope, InboxBatcher } from '@emporium/messaging';
import { startTestService, testServerUrl, uniqueName, waitFor } from '@emporium/testing';
import { describe, expect, it } from 'vitest';
import { createInventoryModule } from '../src/index.js';
import { aSku, anOrder, handled, type Inventory, inMinutes, levels, outboxOf, putStock, reserve, stock } from './support.js';

/**
 * Every path of the inventory takes its locks in one order (src/domain/lock-commands.ts), so
 * concurrent transactions wait for each other but never deadlock. Each test builds, with row
 * locks held from a connection of its own (a "gate"), the exact interleaving in which two
 * transactions that locked in crossing orders would deadlock, then lets them go. A deadlock would
 * not show in the outcome (PostgreSQL breaks it after deadlock_timeout and the transaction runs
 * again): the database's deadlock counter does.
 */

async function startInventory(env: Record<string, string> = {}) {
  const module = { ...createInventoryModule(), name: uniqueName('inventory') };
  const inv = await startTestService(module, env);
  return { inv, consumes: module.consumes! };
}

/** Holds the SKU's stock rows (of one location, or all) locked, as another client's transaction would, until released. */
async function hold(inv: Inventory, sku: string, location?: string): Promise<{ release(): Promise<void> }> {
  const client = await inv.ctx.db.pool.connect();
  await client.query('BEGIN');
  await client.query('SELECT 1 FROM stock_levels WHERE sku = $1 AND ($2::text IS NULL OR location = $2) FOR UPDATE', [
    sku,
    location ?? null,
  ]);
  return {
    async release() {
      await client.query('COMMIT');
      client.release();
    },
  };
}

/** How many sessions of the inventory's database wait for a lock now. */
async function waitingForLocks(inv: Inventory): Promise<number> {
  const r = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(inv.ctx.db);
  return r.rows[0]!.n;
}

const until = (inv: Inventory, n: number, what: string) =>
  waitFor(async () => (await waitingForLocks(inv)) === n, { description: `${what} (${n} sessions waiting for a lock)` });

/**
 * Stops the service and reads its database's deadlock counter. A session adds its deadlocks to
 * the counter when it ends at the latest, before it leaves pg_stat_activity: so once no session
 * of the database is left, the counter is complete.
 */
async function deadlocksAfterClosing(inv: Inventory): Promise<number> {
  const name = new URL(inv.ctx.db.url).pathname.slice(1);
  await inv.close();
  const server = createDb<any>(testServerUrl(), { max: 1 });
  try {
    await waitFor(
      async () =>
        (await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ${name}`.execute(server)).rows[0]!.n ===
        0,
      { description: 'every session of the inventory database to end' },
    );
    const r = await sql<{ deadlocks: number }>`SELECT deadlocks::int FROM pg_stat_database WHERE datname = ${name}`.execute(server);
    return r.rows[0]!.deadlocks;
  } finally {
    await server.destroy();
  }
}

const reserveCommand = (orderId: string, lines: { sku: string; quantity: number }[]) =>
  createEnvelope(InventoryReserveRequestedV1, { orderId, lines, expiresAt: inMinutes(10) }, { source: 'orders', subject: orderId });

/**
 * Runs the inventory's consumer (its handlers and lockBatch, as the runtime does) over these
 * batches, each one group commit, all at once: one "plug" message per batch starts a transaction
 * of its own; the batches' messages queue behind them, and each batch starts as its plug commits.
 * Settles when every message is committed.
 */
function runAsConcurrentBatches(
  inv: Inventory,
  consumes: NonNullable<ReturnType<typeof createInventoryModule>['consumes']>,
  batches: Envelope[][],
): Promise<boolean[]> {
  const inbox = new InboxBatcher<any, any>(inv.ctx.db, inv.name, {
    maxBatch: batches[0]!.length,
    concurrency: batches.length,
    ...(consumes.lockBatch ? { lockBatch: consumes.lockBatch } : {}),
  });
  const submit = (e: Envelope) => inbox.submit(e, { attempt: 1, queue: inv.name }, consumes.handlers[e.type]!);
  // A commit of an order with no reservation: answered, and it locks no stock.
  const plugs = batches.map(() => {
    const orderId = anOrder();
    return submit(createEnvelope(InventoryCommitRequestedV1, { orderId }, { source: 'orders', subject: orderId }));
  });
  const applied = batches.flat().map(submit);
  return Promise.all([...plugs, ...applied]).then((all) => all.slice(plugs.length));
}

describe('the lock order of the inventory: concurrent transactions never deadlock', () => {
  it('when two group commits reserve the same SKUs in crossing orders, then neither deadlocks and every order is reserved once', async () => {
    const { inv, consumes } = await startInventory();
    // gate < x < y, the order their rows are locked in.
    const [gate, x, y] = [aSku('A'), aSku('B'), aSku('C')];
    for (const sku of [gate, x, y]) await stock(inv, sku, { 'berlin-1': 10 });
    const [a, b, c, d] = [anOrder(), anOrder(), anOrder(), anOrder()];
    // Applied message after message, the first batch would take x then y, the second y then x.
    const batches = [
      [
        reserveCommand(a, [{ sku: x, quantity: 1 }]),
        reserveCommand(b, [
          { sku: gate, quantity: 1 },
          { sku: y, quantity: 1 },
        ]),
      ],
      [
        reserveCommand(c, [{ sku: y, quantity: 1 }]),
        reserveCommand(d, [
          { sku: gate, quantity: 1 },
          { sku: x, quantity: 1 },
        ]),
      ],
    ];

    // Both batches stop at the gate SKU: locked as each message comes, the first holds x and the
    // second y by then; locked up front, neither holds any stock row yet.
    const gateHeld = await hold(inv, gate);
    const applied = runAsConcurrentBatches(inv, consumes, batches);
    await until(inv, 2, 'both batches at the gate');
    await gateHeld.release();

    expect(await applied).toEqual([true, true, true, true]);
    for (const order of [a, b, c, d]) {
      expect((await outboxOf(inv, order)).map((m) => m.type)).toEqual(['inventory.reservation.succeeded.v1']);
    }
    for (const sku of [gate, x, y]) expect(await levels(inv, sku)).toMatchObject({ onHand: 10, reserved: 2 });
    const movements = await sql<{ order_id: string; n: number }>`
      SELECT order_id, count(*)::int AS n FROM stock_movements WHERE kind = 'reserve' AND sku = ANY(${[gate, x, y]}) GROUP BY order_id ORDER BY order_id`.execute(
      inv.ctx.db,
    );
    expect(movements.rows).toEqual(
      [
        { order_id: a, n: 1 },
        { order_id: b, n: 2 },
        { order_id: c, n: 1 },
        { order_id: d, n: 2 },
      ].sort((p, q) => (p.order_id < q.order_id ? -1 : 1)),
    );

    expect(await deadlocksAfterClosing(inv)).toBe(0);
  });

  it('when the expiry sweep holds a reservation that a group commit also needs, then neither deadlocks', async () => {
    const { inv, consumes } = await startInventory({ INVENTORY_EXPIRY_SWEEP_INTERVAL_MS: '50' });
    const [x, z] = [aSku('B'), aSku('C')];
    for (const sku of [x, z]) await stock(inv, sku, { 'berlin-1': 10 });
    const late = anOrder();
    await reserve(inv, late, [
      { sku: x, quantity: 1 },
      { sku: z, quantity: 1 },
    ]);

    // Its deadline passes while x is held: the sweep locks the reservation, then waits for x.
    const xHeld = await hold(inv, x);
    await sql`UPDATE reservations SET expires_at = now() - interval '1 second' WHERE order_id = ${late}`.execute(inv.ctx.db);
    await until(inv, 1, 'the sweep at x');
    // A batch that reserves z for another order, then commits the one being swept: applied message
    // after message, it would hold z and wait for the reservation, which the sweep holds while it
    // waits for z.
    const other = anOrder();
    const batch = [
      reserveCommand(other, [{ sku: z, quantity: 1 }]),
      createEnvelope(InventoryCommitRequestedV1, { orderId: late }, { source: 'orders', subject: late }),
    ];
    const applied = runAsConcurrentBatches(inv, consumes, [batch]);
    await until(inv, 2, 'the batch waiting for the swept reservation');
    await xHeld.release();

    expect(await applied).toEqual([true, true]);
    // Expired by the sweep, then committed late: reserved again and taken.
    expect((await outboxOf(inv, late)).map((m) => [m.type, m.data.reason])).toEqual([
      ['inventory.reservation.succeeded.v1', undefined],
      ['inventory.reservation.released.v1', 'expired'],
      ['inventory.reservation.committed.v1', undefined],
    ]);
    expect(await levels(inv, x)).toMatchObject({ onHand: 9, reserved: 0 });
    expect(await levels(inv, z)).toMatchObject({ onHand: 9, reserved: 1 });

    expect(await deadlocksAfterClosing(inv)).toBe(0);
  });

  it('when staff count one location of a SKU while a reservation takes units from all of them, then neither deadlocks', async () => {
    const { inv } = await startInventory();
    const x = aSku('B');
    await stock(inv, x, { 'berlin-1': 5, 'hamburg-1': 5 });

    const hamburgHeld = await hold(inv, x, 'hamburg-1');
    // The count of hamburg comes first, then a reserve of 7 (5 from berlin, 2 from hamburg).
    const count = putStock(inv, x, 'hamburg-1', 10);
    await until(inv, 1, 'the count waiting');
    const order = anOrder();
    const command = reserveCommand(order, [{ sku: x, quantity: 7 }]);
    await inv.transport.publish([command]);
    await until(inv, 2, 'the reserve waiting');
    await hamburgHeld.release();

    expect((await count).statusCode).toBe(200);
    await handled(inv, command.id);
    expect((await outboxOf(inv, order)).map((m) => m.type)).toEqual(['inventory.reservation.succeeded.v1']);
    expect(await levels(inv, x)).toMatchObject({
      locations: [
        { location: 'berlin-1', onHand: 5, reserved: 5 },
        { location: 'hamburg-1', onHand: 10, reserved: 2 },
      ],
    });

    expect(await deadlocksAfterClosing(inv)).toBe(0);
  });
});
