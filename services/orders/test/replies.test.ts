import { randomUUID } from 'node:crypto';
import {
  InventoryReservationCommittedV1,
  InventoryReservationFailedV1,
  InventoryReservationSucceededV1,
  PaymentsAuthorizationFailedV1,
  PaymentsAuthorizationSucceededV1,
  PaymentsCaptureFailedV1,
  PaymentsCaptureSucceededV1,
  PaymentsRefundSucceededV1,
} from '@emporium/contracts';
import { sql } from '@emporium/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORDER_TRANSITIONS } from '../src/index.js';
import { PM } from './support/doubles.js';
import {
  aCheckout,
  aCustomer,
  aSku,
  eventually,
  getOrder,
  handled,
  outboxOf,
  placeOrder,
  startWorld,
  waitForStatus,
  type World,
} from './support/orders.js';

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.close();
});

/** An order whose replies the test sends itself: inventory holds its reservation back, payments answers nothing. */
async function anOrderPlayedByHand() {
  const customer = await aCustomer(world.orders);
  const sku = aSku('HAND');
  world.inventory.pause(sku);
  const id = await placeOrder(world, customer, aCheckout({ lines: [{ sku, quantity: 2 }], paymentMethod: PM.silent }));
  await eventually(() => expect(world.inventory.commandsFor(id)).toEqual(['inventory.reserve.requested.v1']));
  const reserve = world.inventory.received.find((c) => c.data.orderId === id)!;
  const reservation = { orderId: id, lines: reserve.data.lines, expiresAt: reserve.data.expiresAt };
  const order = await getOrder(world.orders, customer, id);
  return { customer, id, reservation, amount: order.total, paymentId: randomUUID() };
}

const typesIn = async (id: string) => (await outboxOf(world.orders, id)).map((e) => e.type);

describe('replies that are late, repeated or out of order (I11)', () => {
  it('when every reply comes twice and stale ones come late, then each step acts once and the order is confirmed once', async () => {
    const { customer, id, reservation, amount, paymentId } = await anOrderPlayedByHand();
    const inventory = world.inventory;
    const payments = world.payments;

    // The same reservation twice (two messages), and one message delivered twice.
    const reserved = await inventory.reply(InventoryReservationSucceededV1, reservation);
    await handled(world.orders, [
      reserved,
      await inventory.reply(InventoryReservationSucceededV1, reservation),
      await inventory.reply(InventoryReservationSucceededV1, reservation, reserved),
    ]);
    // A failure that contradicts it, late: ignored.
    await handled(world.orders, [
      await inventory.reply(InventoryReservationFailedV1, { orderId: id, reason: 'out_of_stock', shortages: [] }),
    ]);
    expect((await getOrder(world.orders, customer, id)).status).toBe('authorizing');
    expect((await typesIn(id)).filter((t) => t === 'payments.authorize.requested.v1')).toHaveLength(1);

    await handled(world.orders, [
      await payments.reply(PaymentsAuthorizationSucceededV1, { orderId: id, paymentId, amount }),
      await payments.reply(PaymentsAuthorizationSucceededV1, { orderId: id, paymentId, amount }),
    ]);
    await handled(world.orders, [
      await payments.reply(PaymentsAuthorizationFailedV1, { orderId: id, code: 'card_declined', reason: 'Declined, too late.' }),
    ]);
    expect((await getOrder(world.orders, customer, id)).status).toBe('capturing');

    await handled(world.orders, [
      await payments.reply(PaymentsCaptureSucceededV1, { orderId: id, paymentId, amount }),
      await payments.reply(PaymentsCaptureSucceededV1, { orderId: id, paymentId, amount }),
    ]);
    await handled(world.orders, [
      await payments.reply(PaymentsCaptureFailedV1, { orderId: id, reason: 'Contradicts the success: ignored.' }),
    ]);
    await handled(world.orders, [
      await inventory.reply(InventoryReservationCommittedV1, { orderId: id, lines: reservation.lines }),
      await inventory.reply(InventoryReservationCommittedV1, { orderId: id, lines: reservation.lines }),
    ]);
    const order = await waitForStatus(world.orders, customer, id, 'confirmed');

    // Late replies of earlier steps change nothing after the end.
    await handled(world.orders, [
      await payments.reply(PaymentsAuthorizationFailedV1, { orderId: id, code: 'payment_error', reason: 'Very late.' }),
      await inventory.reply(InventoryReservationFailedV1, { orderId: id, reason: 'out_of_stock', shortages: [] }),
    ]);
    expect((await getOrder(world.orders, customer, id)).status).toBe('confirmed');

    expect(await typesIn(id)).toEqual([
      'inventory.reserve.requested.v1',
      'payments.authorize.requested.v1',
      'payments.capture.requested.v1',
      'inventory.commit.requested.v1',
      'orders.order.confirmed.v1',
    ]);
    const done = order.timeline.filter((e: { status: string }) => e.status === 'succeeded').map((e: { step: string }) => e.step);
    expect(done).toEqual(['placeOrder', 'reserveStock', 'authorizePayment', 'capturePayment', 'commitStock', 'confirm']);
    await eventually(() => expect(world.events.of(id, 'orders.order.confirmed.v1')).toHaveLength(1));
  });

  it('when the stock commit is reported before the capture, then the order waits for the capture and is confirmed once', async () => {
    const { customer, id, reservation, amount, paymentId } = await anOrderPlayedByHand();
    await handled(world.orders, [await world.inventory.reply(InventoryReservationSucceededV1, reservation)]);
    await handled(world.orders, [await world.payments.reply(PaymentsAuthorizationSucceededV1, { orderId: id, paymentId, amount })]);

    await handled(world.orders, [await world.inventory.reply(InventoryReservationCommittedV1, { orderId: id, lines: reservation.lines })]);
    expect((await getOrder(world.orders, customer, id)).status).toBe('capturing');

    await handled(world.orders, [await world.payments.reply(PaymentsCaptureSucceededV1, { orderId: id, paymentId, amount })]);
    await waitForStatus(world.orders, customer, id, 'confirmed');
    // The commit was already reported: it is not asked for again.
    expect((await typesIn(id)).filter((t) => t.startsWith('inventory.commit'))).toEqual([]);
    expect((await typesIn(id)).filter((t) => t === 'orders.order.confirmed.v1')).toHaveLength(1);
  });

  it('when the stock commit is refused after the capture (the hold expired and the units were sold), then the whole payment is refunded and the order cancelled saying why', async () => {
    const { customer, id, reservation, amount, paymentId } = await anOrderPlayedByHand();
    await handled(world.orders, [await world.inventory.reply(InventoryReservationSucceededV1, reservation)]);
    await handled(world.orders, [await world.payments.reply(PaymentsAuthorizationSucceededV1, { orderId: id, paymentId, amount })]);
    await handled(world.orders, [await world.payments.reply(PaymentsCaptureSucceededV1, { orderId: id, paymentId, amount })]);
    const shortages = reservation.lines.map((l: { sku: string; quantity: number }) => ({
      sku: l.sku,
      requested: l.quantity,
      available: 0,
    }));

    await handled(world.orders, [
      await world.inventory.reply(InventoryReservationFailedV1, { orderId: id, reason: 'out_of_stock', shortages }),
    ]);
    expect((await getOrder(world.orders, customer, id)).status).toBe('cancelling');
    const [refund, ...more] = await outboxOf(world.orders, id, 'payments.refund.requested.v1');
    expect(more).toEqual([]);
    expect((await typesIn(id)).filter((t) => t === 'inventory.release.requested.v1')).toHaveLength(1);

    await handled(world.orders, [
      await world.payments.reply(PaymentsRefundSucceededV1, {
        orderId: id,
        refundId: refund?.data.refundId,
        customerId: customer.id,
        amount,
      }),
    ]);
    const order = await waitForStatus(world.orders, customer, id, 'cancelled');
    expect(order.refunded).toBe(true);
    expect(order.cancelReason).toMatch(/^Not enough stock: /);
    expect((await typesIn(id)).filter((t) => t === 'orders.order.confirmed.v1')).toEqual([]);
  });

  it('when an authorization arrives for an order already cancelled, then it is voided again', async () => {
    const { customer, id, reservation, amount, paymentId } = await anOrderPlayedByHand();
    await handled(world.orders, [await world.inventory.reply(InventoryReservationSucceededV1, reservation)]);
    expect((await world.orders.app.inject({ method: 'POST', url: `/api/orders/${id}/cancel`, headers: customer.headers })).statusCode).toBe(
      202,
    );
    await waitForStatus(world.orders, customer, id, 'cancelled');

    await handled(world.orders, [await world.payments.reply(PaymentsAuthorizationSucceededV1, { orderId: id, paymentId, amount })]);
    expect((await getOrder(world.orders, customer, id)).status).toBe('cancelled');
    expect((await typesIn(id)).filter((t) => t === 'payments.void.requested.v1')).toHaveLength(2);
    expect((await typesIn(id)).filter((t) => t.startsWith('payments.capture'))).toEqual([]);
  });

  it('a reply about an order this service does not have is acknowledged and ignored', async () => {
    const stray = await world.inventory.reply(InventoryReservationSucceededV1, {
      orderId: randomUUID(),
      lines: [{ sku: 'STRAY', quantity: 1 }],
      expiresAt: new Date().toISOString(),
    });
    await handled(world.orders, [stray]);
  });
});

describe('the state machine in the database', () => {
  it('refuses a status change off the edges, whoever writes it', async () => {
    const customer = await aCustomer(world.orders);
    const id = await placeOrder(world, customer);
    await waitForStatus(world.orders, customer, id, 'confirmed');
    await expect(sql`UPDATE orders SET status = 'reserving' WHERE id = ${id}`.execute(world.orders.ctx.db)).rejects.toThrow(
      /cannot go from confirmed to reserving/,
    );
    // A confirmed order is paid and its stock committed (I6), by constraint.
    await expect(sql`UPDATE orders SET stock_committed_at = NULL WHERE id = ${id}`.execute(world.orders.ctx.db)).rejects.toThrow(
      /orders_confirmed_is_paid_and_committed/,
    );
  });

  it('knows the same edges as the domain', async () => {
    const rows = await sql<{ from_status: string; to_status: string }>`SELECT from_status, to_status FROM order_status_transitions`.execute(
      world.orders.ctx.db,
    );
    const inDatabase = rows.rows.map((r) => `${r.from_status}→${r.to_status}`).sort();
    const inDomain = Object.entries(ORDER_TRANSITIONS)
      .flatMap(([from, tos]) => tos.map((to) => `${from}→${to}`))
      .sort();
    expect(inDatabase).toEqual(inDomain);
  });
});
