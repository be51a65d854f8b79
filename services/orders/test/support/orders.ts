import { randomBytes } from 'node:crypto';
import type { Role } from '@emporium/auth';
import { sql } from '@emporium/db';
import type { Envelope } from '@emporium/messaging';
import { bearerFor, startTestService, type TestService, testIssuer, uniqueName, waitFor } from '@emporium/testing';
import { expect } from 'vitest';
import { createOrdersModule, type OrdersConfig, type OrdersDatabase } from '../../src/index.js';
import { catalogSells, type Listed, type StandInCatalog, startCatalog } from './catalog.js';
import { type Doubles, PM, startDoubles } from './doubles.js';

export type Orders = TestService<OrdersDatabase, OrdersConfig>;

/** The orders service in-process, with the stand-in catalog, inventory, payments and notifications doubles around it. */
export interface World extends Doubles {
  orders: Orders;
  catalog: StandInCatalog;
  /** Orders' own client at the test issuer (its token requests: testIssuer().tokenRequestsOf(clientId)). */
  clientId: string;
  close(): Promise<void>;
}

/**
 * Registers a client of orders' own with the per-process test issuer (client credentials, scope
 * catalog:prices, as the launcher registers `orders` with identity) and returns the settings that
 * make orders use it.
 */
export async function anOrdersClient(): Promise<{ AUTH_CLIENT_ID: string; AUTH_CLIENT_SECRET: string; AUTH_TOKEN_URL: string }> {
  const issuer = await testIssuer();
  const clientId = uniqueName('orders');
  const secret = randomBytes(24).toString('base64url');
  issuer.registerClient(clientId, secret, ['catalog:prices']);
  return { AUTH_CLIENT_ID: clientId, AUTH_CLIENT_SECRET: secret, AUTH_TOKEN_URL: issuer.tokenUrl };
}

/**
 * Starts orders (fresh database, the run's transport) and its neighbours. The module gets a name
 * of its own: on RabbitMQ a queue is named after its service and queues are shared by the whole
 * broker, so two test files running at once would otherwise take each other's replies. That name
 * is also the audience its callers' tokens must name (bearerFor(orders.name, …)). Orders trusts
 * the per-process test issuer (startTestService) and gets its tokens for the catalog there.
 */
export async function startWorld(env: Record<string, string> = {}): Promise<World> {
  const catalog = await startCatalog();
  const client = await anOrdersClient();
  const orders = await startTestService(
    { ...createOrdersModule(), name: uniqueName('orders') },
    { CATALOG_URL: catalog.url, ...client, ...env },
  );
  const doubles = await startDoubles(orders.transport);
  return {
    ...doubles,
    orders,
    catalog,
    clientId: client.AUTH_CLIENT_ID,
    close: async () => {
      await doubles.stop();
      await orders.close();
      await catalog.close();
    },
  };
}

/** Whoever sends a request: the headers that say so (an Authorization header, or none for anonymous). */
export interface Caller {
  headers: Record<string, string>;
}

/** A customer with a token for orders (audience: the running service's name). */
export interface Customer extends Caller {
  id: string;
}

/** A customer of their own for each test, signed in: their access token for `orders` (its name is the audience). */
export async function aCustomer(orders: { name: string }, claims: { region?: string; suspended?: boolean } = {}): Promise<Customer> {
  const id = uniqueName('cust');
  return { id, headers: await bearerFor(orders.name, { customer: id, ...claims }) };
}

/** A member of staff (support, admin, …) signed in with these roles. */
export async function aStaffMember(orders: { name: string }, roles: Role[], claims: { region?: string; suspended?: boolean } = {}) {
  return { headers: await bearerFor(orders.name, { roles, sub: uniqueName('staff'), ...claims }) } satisfies Caller;
}

export const anonymous: Caller = { headers: {} };

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
export async function checkout(world: World, customer: Caller, body: CheckoutInput, options: { key?: string; prices?: Listed[] } = {}) {
  catalogSells(world.catalog, options.prices ?? body.lines.map((l) => ({ sku: l.sku, price: 1_250 })));
  return postCheckout(world.orders, customer, body, options.key ?? anIdempotencyKey());
}

export const postCheckout = (orders: Orders, customer: Caller, body: unknown, key?: string) =>
  orders.app.inject({
    method: 'POST',
    url: '/api/orders',
    headers: { ...customer.headers, ...(key === undefined ? {} : { 'idempotency-key': key }) },
    payload: body as object,
  });

/** Places an order that is accepted (202); returns its id. */
export async function placeOrder(world: World, customer: Caller, body: CheckoutInput = aCheckout(), options: { prices?: Listed[] } = {}) {
  const res = await checkout(world, customer, body, options);
  expect(res.statusCode, res.body).toBe(202);
  return res.json().orderId as string;
}

export async function getOrder(orders: Orders, customer: Caller, id: string) {
  const res = await orders.app.inject({ url: `/api/orders/${id}`, headers: customer.headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

export const cancel = (orders: Orders, customer: Caller, id: string) =>
  orders.app.inject({ method: 'POST', url: `/api/orders/${id}/cancel`, headers: customer.headers });

/** Waits until the order reaches `status` (through the API, as a customer would); returns the order. */
export function waitForStatus(orders: Orders, customer: Caller, id: string, status: string, timeoutMs = 15_000) {
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
export function waitForTimeline(orders: Orders, customer: Caller, id: string, step: string, status: string) {
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
