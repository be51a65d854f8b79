import { startTestService } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrdersModule } from '../src/index.js';
import { PM } from './support/doubles.js';
import {
  aCheckout,
  aCustomer,
  anOrdersClient,
  aSku,
  eventually,
  getOrder,
  metricValue,
  type Orders,
  outboxOf,
  placeOrder,
  startWorld,
  waitForStatus,
  type World,
} from './support/orders.js';

/** Short waits, so that the timeouts happen within the test. */
const TIMEOUTS = {
  ORDERS_RESERVE_TIMEOUT_MS: '300',
  ORDERS_AUTHORIZE_TIMEOUT_MS: '300',
  ORDERS_CAPTURE_TIMEOUT_MS: '300',
  ORDERS_REFUND_TIMEOUT_MS: '300',
  ORDERS_STEP_MAX_ATTEMPTS: '3',
  ORDERS_TIMEOUT_SCAN_INTERVAL_MS: '50',
  ORDERS_RESERVATION_TTL_MS: '2000',
};

let world: World;
/** A second replica on the same database and queue: the timeout job must act once per deadline across both. */
let replica: Orders;
beforeAll(async () => {
  world = await startWorld(TIMEOUTS);
  replica = await startTestService(
    { ...createOrdersModule(), name: world.orders.name },
    { ...TIMEOUTS, ...(await anOrdersClient()), CATALOG_URL: world.catalog.url, DATABASE_URL: world.orders.ctx.config.DATABASE_URL },
    { transport: world.orders.transport },
  );
});
afterAll(async () => {
  await replica?.close();
  await world?.close();
});

describe('saga step timeouts (two replicas running the timeout job)', () => {
  it('when inventory never answers, then the reservation is asked for 3 times with the same keys, then released and the order cancelled', async () => {
    const customer = await aCustomer(world.orders);
    const sku = aSku('SLOW');
    world.inventory.pause(sku);
    const id = await placeOrder(world, customer, aCheckout({ lines: [{ sku, quantity: 1 }] }));

    const order = await waitForStatus(world.orders, customer, id, 'cancelled');
    expect(order.cancelReason).toBe('We could not reserve your items in time.');
    const reserves = await outboxOf(world.orders, id, 'inventory.reserve.requested.v1');
    expect(reserves).toHaveLength(3);
    expect(new Set(reserves.map((r) => JSON.stringify(r.data))).size).toBe(1); // the same command each time
    expect(await outboxOf(world.orders, id, 'inventory.release.requested.v1')).toHaveLength(1);
    expect(await outboxOf(world.orders, id, 'payments.authorize.requested.v1')).toEqual([]);
    expect(order.timeline.filter((e: { status: string }) => e.status === 'retried').map((e: { detail: string }) => e.detail)).toEqual([
      'No answer yet; asking again (attempt 2).',
      'No answer yet; asking again (attempt 3).',
    ]);
  });

  it('when the customer never completes the card challenge, then the payment is abandoned when the stock hold expires: voided, released, cancelled', async () => {
    const customer = await aCustomer(world.orders);
    const sku = aSku();
    world.inventory.setStock(sku, 1);
    const id = await placeOrder(world, customer, aCheckout({ lines: [{ sku, quantity: 1 }], paymentMethod: PM.challengeNeverCompleted }));

    const order = await waitForStatus(world.orders, customer, id, 'cancelled');
    expect(order.cancelReason).toBe('The payment was not completed before the hold on your items expired.');
    const reserve = (await outboxOf(world.orders, id, 'inventory.reserve.requested.v1'))[0];
    const cancelledAt = new Date(order.timeline.at(-1).at).getTime();
    expect(cancelledAt).toBeGreaterThanOrEqual(new Date(reserve?.data.expiresAt).getTime());
    // Asked again while the hold lasted (every 300 ms for 2 s), then undone.
    expect((await outboxOf(world.orders, id, 'payments.authorize.requested.v1')).length).toBeGreaterThanOrEqual(3);
    expect(await outboxOf(world.orders, id, 'payments.void.requested.v1')).toHaveLength(1);
    await eventually(() => expect(world.inventory.available(sku)).toBe(1));
  });

  it('when the capture is never answered, then it is asked again with the same order key and never compensated; the saga counts as stuck until it is answered', async () => {
    const customer = await aCustomer(world.orders);
    const id = await placeOrder(world, customer, aCheckout({ paymentMethod: PM.captureSilent }));
    await eventually(async () => expect((await outboxOf(world.orders, id, 'payments.capture.requested.v1')).length).toBeGreaterThan(4));
    expect((await getOrder(world.orders, customer, id)).status).toBe('capturing');
    expect(await metricValue(world.orders, 'emporium_saga_stuck')).toBe(1);
    const waited = await getOrder(world.orders, customer, id);
    expect(waited.timeline.at(-1)).toMatchObject({
      step: 'capturePayment',
      status: 'retried',
      detail: 'Still waiting for an answer; we keep asking, and nothing is ever charged twice.',
    });

    await world.payments.answerCaptures();
    await waitForStatus(world.orders, customer, id, 'confirmed');
    expect(await outboxOf(world.orders, id, 'payments.void.requested.v1')).toEqual([]);
    expect(await outboxOf(world.orders, id, 'payments.refund.requested.v1')).toEqual([]);
    expect(await outboxOf(world.orders, id, 'orders.order.confirmed.v1')).toHaveLength(1);
    expect(world.payments.payments.get(id)?.captures).toBe(1);
    expect(await metricValue(world.orders, 'emporium_saga_stuck')).toBe(0);
  });
});
