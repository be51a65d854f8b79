/**
 * Who may do what, over HTTP with real tokens (OWASP API1 BOLA, API3 properties, API5 function
 * level). Every caller is a verified access token of the test issuer; the policy is src/policy.ts.
 * One order in region eu is read, cancelled and listed by each kind of caller.
 */
import { randomUUID } from 'node:crypto';
import { sql } from '@emporium/db';
import { bearerFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  aCheckout,
  aCustomer,
  anIdempotencyKey,
  anonymous,
  aStaffMember,
  type Caller,
  type Customer,
  cancel,
  checkout,
  expectProblem,
  outboxOf,
  placeOrder,
  postCheckout,
  startWorld,
  type World,
  waitForStatus,
} from './support/orders.js';

let world: World;
/** The callers of the matrix, by name. */
let callers: Record<CallerName, Caller>;
let owner: Customer;
let orderId: string;

type CallerName =
  | 'owner'
  | 'other customer'
  | 'support of its region'
  | 'support of another region'
  | 'support without a region'
  | 'admin'
  | 'merchandiser'
  | 'a service (client credentials)'
  | 'anonymous'
  | 'suspended owner'
  | 'a token for another service';

beforeAll(async () => {
  world = await startWorld();
  const orders = world.orders;
  owner = await aCustomer(orders, { region: 'eu' });
  callers = {
    owner,
    'other customer': await aCustomer(orders, { region: 'eu' }),
    'support of its region': await aStaffMember(orders, ['support'], { region: 'eu' }),
    'support of another region': await aStaffMember(orders, ['support'], { region: 'us' }),
    'support without a region': await aStaffMember(orders, ['support']),
    admin: await aStaffMember(orders, ['admin']),
    merchandiser: await aStaffMember(orders, ['merchandiser']),
    'a service (client credentials)': { headers: await bearerFor(orders.name, { service: 'payments', scopes: ['orders:read'] }) },
    anonymous,
    'suspended owner': { headers: await bearerFor(orders.name, { customer: owner.id, region: 'eu', suspended: true }) },
    'a token for another service': { headers: await bearerFor('catalog', { customer: owner.id, region: 'eu' }) },
  };
  orderId = await placeOrder(world, owner);
});
afterAll(async () => {
  await world?.close();
});

const read = (caller: Caller, id: string, headers: Record<string, string> = {}) =>
  world.orders.app.inject({ url: `/api/orders/${id}`, headers: { ...caller.headers, ...headers } });

/** Every page of GET /api/orders as this caller sees it. */
async function listAll(caller: Caller): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await world.orders.app.inject({
      url: `/api/orders?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      headers: caller.headers,
    });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as { items: { id: string }[]; nextCursor: string | null };
    ids.push(...page.items.map((o) => o.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

/** Who placed an order and in which region, as stored. */
async function storedAccess(ids: string[]): Promise<{ id: string; customer_id: string; region: string | null }[]> {
  if (!ids.length) return [];
  const rows = await sql<{ id: string; customer_id: string; region: string | null }>`
    SELECT id, customer_id, region FROM orders WHERE id = ANY(${ids}::uuid[])`.execute(world.orders.ctx.db);
  return rows.rows;
}

describe('GET /api/orders/:id (BOLA: no existence leak)', () => {
  it.each<[CallerName, number, string]>([
    ['owner', 200, 'the order'],
    ['other customer', 404, 'order_not_found'],
    ['support of its region', 200, 'the order'],
    ['support of another region', 404, 'order_not_found'],
    ['support without a region', 404, 'order_not_found'],
    ['admin', 200, 'the order'],
    ['merchandiser', 404, 'order_not_found'],
    ['a service (client credentials)', 404, 'order_not_found'],
    ['anonymous', 401, 'unauthenticated'],
    ['suspended owner', 403, 'forbidden'],
    ['a token for another service', 401, 'invalid_token'],
  ])('%s → %i %s', async (name, status, code) => {
    const res = await read(callers[name], orderId);
    if (status === 200) {
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json()).toMatchObject({ id: orderId, total: { amount: 1_250, currency: 'EUR' } });
      return;
    }
    expectProblem(res, status, code);
    // A 404 is exactly the answer for an id that does not exist: the refused caller learns nothing.
    if (status === 404) {
      const missing = randomUUID();
      const none = await read(callers[name], missing);
      expectProblem(none, 404, 'order_not_found');
      const same = (body: string, id: string) => ({ ...JSON.parse(body.replaceAll(id, 'ID')), requestId: undefined });
      expect(same(res.body, orderId)).toEqual(same(none.body, missing));
    }
    if (status === 401) expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="emporium"/);
  });

  it('a conditional read (If-None-Match with Prefer: wait) answers those who may not read at once, with the same 404', async () => {
    // Confirmed: its version moves no more by itself.
    await waitForStatus(world.orders, owner, orderId, 'confirmed');
    const etag = (await read(owner, orderId)).headers.etag as string;
    const started = Date.now();
    for (const name of ['other customer', 'support of another region'] as const) {
      expectProblem(await read(callers[name], orderId, { 'if-none-match': etag, prefer: 'wait=5' }), 404, 'order_not_found');
    }
    expect(Date.now() - started).toBeLessThan(2_000);
    // Support of the order's region follows it like its owner does.
    expect((await read(callers['support of its region'], orderId, { 'if-none-match': etag })).statusCode).toBe(304);
  });
});

describe('POST /api/orders/:id/cancel', () => {
  it.each<[CallerName, number, string]>([
    ['other customer', 404, 'order_not_found'],
    ['support of its region', 403, 'forbidden'],
    ['support of another region', 404, 'order_not_found'],
    ['support without a region', 404, 'order_not_found'],
    ['admin', 403, 'forbidden'],
    ['a service (client credentials)', 404, 'order_not_found'],
    ['anonymous', 401, 'unauthenticated'],
    ['suspended owner', 403, 'forbidden'],
    ['a token for another service', 401, 'invalid_token'],
  ])('%s → %i %s, and the order is not touched', async (name, status, code) => {
    const id = await placeOrder(world, owner);
    await waitForStatus(world.orders, owner, id, 'confirmed');
    const before = await read(owner, id);
    expectProblem(await cancel(world.orders, callers[name], id), status, code);
    const after = await read(owner, id);
    expect(after.json().status).toBe('confirmed');
    expect(after.headers.etag).toBe(before.headers.etag);
    expect(await outboxOf(world.orders, id, 'payments.refund.requested.v1')).toEqual([]);
  });

  it('owner → 202: only the customer who placed the order cancels it', async () => {
    const id = await placeOrder(world, owner);
    await waitForStatus(world.orders, owner, id, 'confirmed');
    const res = await cancel(world.orders, owner, id);
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ orderId: id, status: 'cancelling' });
  });
});

describe('GET /api/orders (lists never show a row the caller may not read)', () => {
  let placed: { eu: string; otherEu: string; us: string; noRegion: string };
  beforeAll(async () => {
    placed = {
      eu: orderId,
      otherEu: await placeOrder(world, callers['other customer']),
      us: await placeOrder(world, await aCustomer(world.orders, { region: 'us' })),
      noRegion: await placeOrder(world, await aCustomer(world.orders)),
    };
  });

  it('stores the region of the customer’s token on the order (none when the token names none)', async () => {
    const stored = new Map((await storedAccess(Object.values(placed))).map((r) => [r.id, r.region]));
    expect(Object.fromEntries(Object.entries(placed).map(([k, id]) => [k, stored.get(id)]))).toEqual({
      eu: 'eu',
      otherEu: 'eu',
      us: 'us',
      noRegion: null,
    });
  });

  it('a customer sees their own orders only', async () => {
    const mine = await listAll(owner);
    expect(mine).toContain(placed.eu);
    expect(new Set((await storedAccess(mine)).map((r) => r.customer_id))).toEqual(new Set([owner.id]));
    expect(await listAll(callers['other customer'])).toEqual([placed.otherEu]);
  });

  it('support sees the orders of their region only; without a region, none', async () => {
    const eu = await listAll(callers['support of its region']);
    expect(eu).toEqual(expect.arrayContaining([placed.eu, placed.otherEu]));
    expect(new Set((await storedAccess(eu)).map((r) => r.region))).toEqual(new Set(['eu']));
    expect(await listAll(callers['support of another region'])).toEqual([placed.us]);
    expect(await listAll(callers['support without a region'])).toEqual([]);
  });

  it('an admin sees every order; a merchandiser or a service token none', async () => {
    const all = await listAll(callers.admin);
    expect(all).toEqual(expect.arrayContaining(Object.values(placed)));
    const total = await sql<{ n: number }>`SELECT count(*)::int AS n FROM orders`.execute(world.orders.ctx.db);
    expect(all).toHaveLength(total.rows[0]!.n);
    expect(await listAll(callers.merchandiser)).toEqual([]);
    expect(await listAll(callers['a service (client credentials)'])).toEqual([]);
  });

  it('anonymous → 401, a suspended customer → 403, a token for another service → 401', async () => {
    const list = (caller: Caller) => world.orders.app.inject({ url: '/api/orders', headers: caller.headers });
    expectProblem(await list(anonymous), 401, 'unauthenticated');
    expectProblem(await list(callers['suspended owner']), 403, 'forbidden');
    expectProblem(await list(callers['a token for another service']), 401, 'invalid_token');
  });
});

describe('POST /api/orders (function level and mass assignment)', () => {
  it.each<[CallerName, number, string]>([
    ['support of its region', 403, 'forbidden'],
    ['admin', 403, 'forbidden'],
    ['merchandiser', 403, 'forbidden'],
    ['a service (client credentials)', 403, 'forbidden'],
    ['suspended owner', 403, 'forbidden'],
    ['anonymous', 401, 'unauthenticated'],
  ])('%s → %i %s, before the catalog is asked', async (name, status, code) => {
    const asked = world.catalog.seen.length;
    expectProblem(await checkout(world, callers[name], aCheckout()), status, code);
    expect(world.catalog.seen.length).toBe(asked);
  });

  it.each([
    ['status', { status: 'confirmed' }],
    ['total', { total: { amount: 1, currency: 'EUR' } }],
    ['customerId', { customerId: 'someone-else' }],
    ['role', { role: 'admin' }],
    ['region', { region: 'us' }],
  ])('a body setting %s → 400 validation_failed, and nothing is created', async (_field, extra) => {
    const customer = await aCustomer(world.orders, { region: 'eu' });
    expectProblem(await postCheckout(world.orders, customer, { ...aCheckout(), ...extra }, anIdempotencyKey()), 400, 'validation_failed');
    expect(await listAll(customer)).toEqual([]);
  });

  it('the order belongs to the token’s customer and region, whatever the request says', async () => {
    const customer = await aCustomer(world.orders, { region: 'eu' });
    const res = await checkout(world, customer, aCheckout());
    expect(res.statusCode, res.body).toBe(202);
    expect(await storedAccess([res.json().orderId])).toEqual([{ id: res.json().orderId, customer_id: customer.id, region: 'eu' }]);
  });
});

describe('the saga inspector (admins only)', () => {
  it.each<[CallerName, number]>([
    ['admin', 200],
    ['owner', 403],
    ['support of its region', 403],
    ['merchandiser', 403],
    ['a service (client credentials)', 403],
    ['anonymous', 401],
  ])('%s → %i', async (name, status) => {
    for (const url of ['/api/admin/sagas?filter=open', `/api/admin/sagas/${orderId}`]) {
      const res = await world.orders.app.inject({ url, headers: callers[name].headers });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(status);
    }
  });
});
