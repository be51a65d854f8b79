import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PM } from './support/doubles.js';
import {
  aCheckout,
  aCustomer,
  aSku,
  eventually,
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

const stepsOf = (order: { timeline: { step: string; status: string }[] }) => order.timeline.map((e) => `${e.step}:${e.status}`);

describe('the checkout saga', () => {
  it('when stock and payment are fine, then the order is reserved, authorized, charged, committed and confirmed, and announced once', async () => {
    const customer = await aCustomer(world.orders);
    const [a, b] = [aSku(), aSku()];
    const id = await placeOrder(
      world,
      customer,
      aCheckout({
        lines: [
          { sku: a, quantity: 2 },
          { sku: b, quantity: 1 },
        ],
      }),
      {
        prices: [
          { sku: a, price: 1_999, name: 'Lantern' },
          { sku: b, price: 500, name: 'Wick' },
        ],
      },
    );

    const order = await waitForStatus(world.orders, customer, id, 'confirmed');
    expect(order.total).toEqual({ amount: 4_498, currency: 'EUR' });
    expect(stepsOf(order)).toEqual([
      'placeOrder:succeeded',
      'reserveStock:started',
      'reserveStock:succeeded',
      'authorizePayment:started',
      'authorizePayment:succeeded',
      'capturePayment:started',
      'capturePayment:succeeded',
      'commitStock:started',
      'commitStock:succeeded',
      'confirm:succeeded',
    ]);
    expect(order.timeline.at(-1).detail).toContain('ada@example.com');
    // The commit goes out only once the money is taken (the pivot's order).
    await eventually(() => expect(world.events.of(id)).toHaveLength(1));
    expect(world.inventory.commandsFor(id)).toEqual(['inventory.reserve.requested.v1', 'inventory.commit.requested.v1']);
    expect(world.payments.commandsFor(id)).toEqual(['payments.authorize.requested.v1', 'payments.capture.requested.v1']);
    expect(world.payments.received.find((c) => c.data.orderId === id)?.data).toMatchObject({
      amount: { amount: 4_498, currency: 'EUR' },
      customerId: customer.id,
    });

    expect(await outboxOf(world.orders, id, 'orders.order.confirmed.v1')).toHaveLength(1);
    const confirmed = world.events.of(id, 'orders.order.confirmed.v1');
    expect(confirmed).toHaveLength(1);
    expect(confirmed[0]?.data).toMatchObject({
      customerId: customer.id,
      email: 'ada@example.com',
      total: { amount: 4_498, currency: 'EUR' },
      lines: [
        { sku: a, quantity: 2, unitPrice: { amount: 1_999, currency: 'EUR' }, name: 'Lantern' },
        { sku: b, quantity: 1, unitPrice: { amount: 500, currency: 'EUR' }, name: 'Wick' },
      ],
    });
    expect(await metricValue(world.orders, 'emporium_orders_by_state', { state: 'confirmed' })).toBeGreaterThanOrEqual(1);
  });

  it('when a SKU is out of stock, then the order is cancelled before any payment command, saying which item', async () => {
    const customer = await aCustomer(world.orders);
    const sku = aSku('RARE');
    world.inventory.setStock(sku, 1);
    const id = await placeOrder(world, customer, aCheckout({ lines: [{ sku, quantity: 3 }] }));

    const order = await waitForStatus(world.orders, customer, id, 'cancelled');
    expect(order.cancelReason).toBe(`Not enough stock: ${sku} (asked 3, 1 available).`);
    expect(order.timeline.find((e: { step: string; status: string }) => e.step === 'reserveStock' && e.status === 'failed')).toMatchObject({
      reason: `Not enough stock: ${sku} (asked 3, 1 available).`,
    });
    await eventually(() =>
      expect(world.events.of(id).map((e) => [e.type, e.data.refunded])).toEqual([['orders.order.cancelled.v1', false]]),
    );
    expect(world.payments.commandsFor(id)).toEqual([]);
    expect(await outboxOf(world.orders, id)).toHaveLength(2); // the reservation and the cancellation: nothing else
    // Nothing was held (all or nothing), so nothing is released.
    expect(world.inventory.commandsFor(id)).toEqual(['inventory.reserve.requested.v1']);
  });

  it('when the card is declined, then the stock is released (no void needed) and the order cancelled with the reason', async () => {
    const customer = await aCustomer(world.orders);
    const sku = aSku();
    world.inventory.setStock(sku, 5);
    const id = await placeOrder(world, customer, aCheckout({ lines: [{ sku, quantity: 2 }], paymentMethod: PM.declined }));

    const order = await waitForStatus(world.orders, customer, id, 'cancelled');
    expect(order.cancelReason).toBe('Your card was declined.');
    // The release's answer shows on the timeline, and the units are back.
    const later = await waitForTimeline(world.orders, customer, id, 'releaseStock', 'succeeded');
    expect(later.status).toBe('cancelled');
    expect(world.inventory.available(sku)).toBe(5);
    expect(world.payments.commandsFor(id)).toEqual(['payments.authorize.requested.v1']);
    expect(world.inventory.commandsFor(id)).toEqual(['inventory.reserve.requested.v1', 'inventory.release.requested.v1']);
    await eventually(() =>
      expect(world.events.of(id, 'orders.order.cancelled.v1').map((e) => e.data)).toEqual([
        expect.objectContaining({ reason: 'Your card was declined.', refunded: false }),
      ]),
    );
    expect(world.events.of(id, 'orders.order.confirmed.v1')).toEqual([]);
  });

  it('when the capture fails, then nothing is committed: the authorization is voided, the stock released, and the order cancelled', async () => {
    const customer = await aCustomer(world.orders);
    const sku = aSku();
    world.inventory.setStock(sku, 4);
    const id = await placeOrder(world, customer, aCheckout({ lines: [{ sku, quantity: 4 }], paymentMethod: PM.captureRefused }));

    const order = await waitForStatus(world.orders, customer, id, 'cancelled');
    expect(order.cancelReason).toBe('The authorization expired before the payment was taken.');
    await waitForTimeline(world.orders, customer, id, 'releaseStock', 'succeeded');
    await waitForTimeline(world.orders, customer, id, 'voidPayment', 'succeeded');
    expect(world.payments.commandsFor(id)).toEqual([
      'payments.authorize.requested.v1',
      'payments.capture.requested.v1',
      'payments.void.requested.v1',
    ]);
    expect(world.inventory.commandsFor(id)).toEqual(['inventory.reserve.requested.v1', 'inventory.release.requested.v1']);
    expect(world.inventory.available(sku)).toBe(4);
    expect(await metricValue(world.orders, 'emporium_saga_compensations_total', { step: 'authorizePayment' })).toBeGreaterThanOrEqual(1);
  });

  it('records how long each step took, by step', async () => {
    const customer = await aCustomer(world.orders);
    const id = await placeOrder(world, customer);
    await waitForStatus(world.orders, customer, id, 'confirmed');
    const histogram = await world.orders.ctx.metrics.registry.getSingleMetric('emporium_saga_step_duration_seconds')?.get();
    const counted = (step: string) =>
      histogram?.values.find((v) => v.labels.step === step && (v as { metricName?: string }).metricName?.endsWith('_count'))?.value ?? 0;
    for (const step of ['reserveStock', 'authorizePayment', 'commitStockAndCapture']) expect(counted(step)).toBeGreaterThanOrEqual(1);
  });
});
