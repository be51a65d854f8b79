import { sql } from '@emporium/db';
import type { Envelope } from '@emporium/messaging';
import { startStandIn, type StandIn, startTestService, type TestService, uniqueName, waitFor } from '@emporium/testing';
import { expect } from 'vitest';
import { createOrdersModule, type OrdersConfig, type OrdersDatabase } from '../../src/index.js';
import { catalogSells, type Listed } from './catalog.js';
import { type Doubles, PM, startDoubles } from './doubles.js';

export type Orders = TestService<OrdersDatabase, OrdersConfig>;

/** The orders service in-process, with the stand-in catalog, inventory, payments and notifications doubles around it. */
export interface World extends Doubles {
  orders: Orders;
  catalog: StandIn;
  close(): Promise<void>;
}

/**
 * Starts orders (fresh database, the run's transport) and its neighbours. The module gets a name
 * of its own: on RabbitMQ a queue is named after its service and queues are shared by the whole
 * broker, so two test files running at once would otherwise take each other's replies.
 */
export async function startWorld(env: Record<string, string> = {}): Promise<World> {
  const catalog = await startStandIn();
  const orders = await startTestService({ ...createOrdersModule(), name: uniqueName('orders') }, { CATALOG_URL: catalog.url, ...env });
  const doubles = await startDoubles(orders.transport);
  return {
    ...doubles,
    orders,
    catalog,
    close: async () => {
      await doubles.stop();
      await orders.close();
      await catalog.close();
    },
  };
}

/** A customer of their own for each test (the gateway's header; platform/service access.ts). */
export const aCustomer = () => ({ 'x-emporium-customer-id': uniqueName('cust') });
export type Customer = ReturnType<typeof aCustomer>;

/** A SKU no other test uses. */
export const aSku = (prefix = 'SKU') => `${prefix}-${uniqueName('x').slice(2).toUpperCase()}`;

export const anIdempotencyKey = () => crypto.randomUUID();

export interface CheckoutInput {
  lines: { sku: string; quantity: number }[];
  email: string;
  shippingAddress: { name: string; line1: string; line2?: string; city: string; postalCode: string; country: string };
  paymentMethod: string;
}

/** A valid checkout body; override what the test is about. */
export function aCheckout(overrides: Partial<CheckoutInput> = {}): CheckoutInput {
  return {
    lines: [{ sku: aSku(), quantity: 1 }],
    email: 'ada@example.com',
    shippingAddress: { name: 'Ada Lovelace', line1: '12 Analytical Street', city: 'London', postalCode: 'N1 9GU', country: 'GB' },
    paymentMethod: PM.visa,
    ...overrides,
  };
}

/** Scripts the catalog to sell every SKU of the checkout (at `price` each unless listed otherwise), then posts it. */
export async function checkout(world: World, customer: Customer, body: CheckoutInput, options: { key?: string; prices?: Listed[] } = {}) {
  catalogSells(world.catalog, options.prices ?? body.lines.map((l) => ({ sku: l.sku, price: 1_250 })));
  return postCheckout(world.orders, customer, body, options.key ?? anIdempotencyKey());
}

export const postCheckout = (orders: Orders, customer: Customer, body: unknown, key?: string) =>
  orders.app.inject({
    method: 'POST',
    url: '/api/orders',
    headers: { ...customer, ...(key === undefined ? {} : { 'idempotency-key': key }) },
    payload: body as object,
  });

/** Places an order that is accepted (202); returns its id. */
export async function placeOrder(world: World, customer: Customer, body: CheckoutInput = aCheckout(), options: { prices?: Listed[] } = {}) {
  const res = await checkout(world, customer, body, options);
  expect(res.statusCode, res.body).toBe(202);
  return res.json().orderId as string;
}

export async function getOrder(orders: Orders, customer: Customer, id: string) {
  const res = await orders.app.inject({ url: `/api/orders/${id}`, headers: customer });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

export const cancel = (orders: Orders, customer: Customer, id: string) =>
  orders.app.inject({ method: 'POST', url: `/api/orders/${id}/cancel`, headers: customer });

/** Waits until the order reaches `status` (through the API, as a customer would); returns the order. */
export function waitForStatus(orders: Orders, customer: Customer, id: string, status: string, timeoutMs = 15_000) {
  return waitFor(
    async () => {
      const order = await getOrder(orders, customer, id);
      if (order.status !== status) throw new Error(`the order is ${order.status}`);
      return order;
    },
    { timeoutMs, description: `order to be ${status}` },
  );
}

/** Waits until the order's timeline has `step` with `status`; returns the order. */
export function waitForTimeline(orders: Orders, customer: Customer, id: string, step: string, status: string) {
  return waitFor(
    async () => {
      const order = await getOrder(orders, customer, id);
      return order.timeline.some((e: { step: string; status: string }) => e.step === step && e.status === status) ? order : undefined;
    },
    { description: `${step} ${status} on the timeline` },
  );
}

/** Waits until orders has handled these messages (their ids are in its inbox). */
export function handled(orders: Orders, messageIds: string[]) {
  return waitFor(
    async () => {
      const rows = await sql<{
        n: number;
      }>`SELECT count(DISTINCT message_id)::int AS n FROM inbox WHERE message_id = ANY(${messageIds}::uuid[])`.execute(orders.ctx.db);
      return rows.rows[0]?.n === new Set(messageIds).size;
    },
    { description: `orders to handle ${messageIds.length} message(s)` },
  );
}

/** Retries an assertion until it holds (messages arrive a moment after the state that caused them). */
export async function eventually(assertion: () => unknown, timeoutMs = 10_000): Promise<void> {
  await waitFor(
    async () => {
      await assertion();
      return true;
    },
    { timeoutMs, description: 'the assertion to hold' },
  );
}

/** Asserts an RFC 9457 problem with its stable code; returns the body. */
export function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): any }, status: number, code: string) {
  expect({ status: res.statusCode, code: res.json().code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  return res.json();
}

/** The envelopes orders committed to its outbox about one order, of one type. */
export async function outboxOf(orders: Orders, orderId: string, type?: string): Promise<(Envelope<any> & { sent: boolean })[]> {
  const rows = await sql<{ envelope: Envelope<any>; sent: boolean }>`
    SELECT envelope, sent_at IS NOT NULL AS sent FROM outbox
    WHERE envelope->>'subject' = ${orderId} AND (${type ?? null}::text IS NULL OR type = ${type ?? null})
    ORDER BY seq`.execute(orders.ctx.db);
  return rows.rows.map((r) => ({ ...r.envelope, sent: r.sent }));
}

/** A metric's value as /metrics serves it (0 when absent). */
export async function metricValue(orders: Orders, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await orders.ctx.metrics.registry.getSingleMetric(name)?.get();
  const match = metric?.values.find((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want));
  return match?.value ?? 0;
}
