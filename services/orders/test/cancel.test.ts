import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PM } from './support/doubles.js';
import {
  aCheckout,
  aCustomer,
  aSku,
  cancel,
  eventually,
  expectProblem,
  metricValue,
  outboxOf,
  placeOrder,
  startWorld,
  waitForStatus,
  waitForTimeline,
  type World,
} from './support/orders.js';

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.close();
});

const countIn = async (id: string, type: string) => (await outboxOf(world.orders, id, type)).length;

describe('POST /api/orders/:id/cancel', () => {
  it('before the payment is taken: the authorization is voided, the stock released, and the order cancelled; asking again changes nothing', async () => {
    const customer = await aCustomer(world.orders);
    const sku = aSku();
    world.inventory.setStock(sku, 3);
    // The customer never completes the card challenge: the order waits in authorizing.
    const id = await placeOrder(world, customer, aCheckout({ lines: [{ sku, quantity: 3 }], paymentMethod: PM.challengeNeverCompleted }));
    await waitForStatus(world.orders, customer, id, 'authorizing');

    const res = await cancel(world.orders, customer, id);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ orderId: id, status: 'cancelled', statusUrl: `/api/orders/${id}` });
    await eventually(() =>
      expect(world.payments.commandsFor(id)).toEqual(['payments.authorize.requested.v1', 'payments.void.requested.v1']),
    );
    await eventually(() =>
      expect(world.inventory.commandsFor(id)).toEqual(['inventory.reserve.requested.v1', 'inventory.release.requested.v1']),
    );
    const order = await waitForTimeline(world.orders, customer, id, 'releaseStock', 'succeeded');
    expect(order).toMatchObject({ status: 'cancelled', cancelReason: 'Cancelled at your request.', refunded: false });
    expect(world.inventory.available(sku)).toBe(3);

    const before = (await outboxOf(world.orders, id)).length;
    const again = await cancel(world.orders, customer, id);
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual(res.json());
    expect((await outboxOf(world.orders, id)).length).toBe(before);
    await eventually(() =>
      expect(world.events.of(id).map((e) => [e.type, e.data.refunded, e.data.reason])).toEqual([
        ['orders.order.cancelled.v1', false, 'Cancelled at your request.'],
      ]),
    );
  });

  it('after confirmation: the payment is refunded in full once and the committed stock given back, however often and however concurrently it is asked', async () => {
    const customer = await aCustomer(world.orders);
    const id = await placeOrder(world, customer);
    await waitForStatus(world.orders, customer, id, 'confirmed');

    const answers = await Promise.all([
      cancel(world.orders, customer, id),
      cancel(world.orders, customer, id),
      cancel(world.orders, customer, id),
    ]);
    expect(answers.map((a) => a.statusCode)).toEqual([202, 202, 202]);
    expect(answers.map((a) => a.json().status)).toContain('cancelling');

    const order = await waitForStatus(world.orders, customer, id, 'cancelled');
    expect(order).toMatchObject({ refunded: true, cancelReason: 'Cancelled at your request.' });
    expect(order.timeline.at(-1)).toMatchObject({
      step: 'cancel',
      status: 'succeeded',
      detail: 'Your order is cancelled and 12.50 EUR is refunded.',
    });
    expect((await cancel(world.orders, customer, id)).json().status).toBe('cancelled');

    const refunds = await outboxOf(world.orders, id, 'payments.refund.requested.v1');
    expect(refunds).toHaveLength(1);
    expect(refunds[0]?.data).toEqual({ orderId: id, refundId: expect.any(String), reason: 'Cancelled at your request.' }); // no amount: in full
    await eventually(() => expect(world.payments.count(id, 'payments.refund.requested.v1')).toBe(1));
    expect(world.payments.payments.get(id)?.refunds.size).toBe(1);
    expect(await outboxOf(world.orders, id, 'inventory.release.requested.v1')).toHaveLength(1);
    await eventually(() =>
      expect(world.inventory.commandsFor(id)).toEqual([
        'inventory.reserve.requested.v1',
        'inventory.commit.requested.v1',
        'inventory.release.requested.v1',
      ]),
    );
    await eventually(() =>
      expect(world.events.of(id).map((e) => [e.type, e.data.refunded ?? null])).toEqual([
        ['orders.order.confirmed.v1', null],
        ['orders.order.cancelled.v1', true],
      ]),
    );
  });

  it('while the payment is being taken: the cancellation waits for the capture, then refunds it and releases the uncommitted stock', async () => {
    const customer = await aCustomer(world.orders);
    const sku = aSku();
    world.inventory.setStock(sku, 2);
    const id = await placeOrder(world, customer, aCheckout({ lines: [{ sku, quantity: 2 }], paymentMethod: PM.captureSilent }));
    await eventually(() => expect(world.payments.heldCaptureCount(id)).toBe(1));

    const res = await cancel(world.orders, customer, id);
    expect(res.json().status).toBe('capturing');
    await waitForTimeline(world.orders, customer, id, 'cancel', 'requested');

    await world.payments.answerCaptures();
    const order = await waitForStatus(world.orders, customer, id, 'cancelled');
    expect(order.refunded).toBe(true);
    await eventually(() =>
      expect(world.inventory.commandsFor(id)).toEqual(['inventory.reserve.requested.v1', 'inventory.release.requested.v1']),
    );
    expect(await countIn(id, 'inventory.commit.requested.v1')).toBe(0);
    expect(await countIn(id, 'orders.order.confirmed.v1')).toBe(0);
    expect(await countIn(id, 'payments.refund.requested.v1')).toBe(1);
    await eventually(() => expect(world.inventory.available(sku)).toBe(2));
  });

  it('when the refund is refused, then the order needs attention: it is counted as stuck and cannot be cancelled online', async () => {
    const customer = await aCustomer(world.orders);
    const id = await placeOrder(world, customer, aCheckout({ paymentMethod: PM.refundRefused }));
    await waitForStatus(world.orders, customer, id, 'confirmed');
    await cancel(world.orders, customer, id);

    const order = await waitForStatus(world.orders, customer, id, 'needs_attention');
    expect(order.timeline.at(-1)).toMatchObject({
      step: 'refundPayment',
      status: 'failed',
      reason: 'The payment provider refused the refund.',
    });
    expectProblem(await cancel(world.orders, customer, id), 409, 'order_needs_attention');
    expect(await metricValue(world.orders, 'emporium_saga_stuck')).toBeGreaterThanOrEqual(1);
    expect(await countIn(id, 'orders.order.cancelled.v1')).toBe(0);
  });
});
