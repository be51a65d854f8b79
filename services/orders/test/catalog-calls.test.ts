/**
 * Orders calls the catalog as itself: a client-credentials token from the issuer (audience
 * catalog, scope catalog:prices), reused across checkouts, renewed once when the catalog refuses
 * it. The stand-in catalog verifies every token against the test issuer's keys (support/catalog.ts).
 */
import { sql } from '@emporium/db';
import { testIssuer } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRICES_PATH } from './support/catalog.js';
import {
  aCheckout,
  aCustomer,
  anIdempotencyKey,
  checkout,
  expectProblem,
  placeOrder,
  postCheckout,
  startWorld,
  type World,
} from './support/orders.js';

let world: World;
beforeAll(async () => {
  world = await startWorld({ CATALOG_TIMEOUT_MS: '500' });
});
afterAll(async () => {
  await world?.close();
});

const tokenRequests = async (w: World) => (await testIssuer()).tokenRequestsOf(w.clientId);
const pricesCalls = (w: World, from = 0) => w.catalog.seen.slice(from).filter((s) => s.url.startsWith(PRICES_PATH));

/** Nothing of a refused checkout was kept: no order of the customer, no Idempotency-Key. */
async function nothingStored(w: World, customerId: string, key: string) {
  const orders = await sql`SELECT 1 FROM orders WHERE customer_id = ${customerId}`.execute(w.orders.ctx.db);
  const keys = await sql`SELECT 1 FROM idempotency_keys WHERE customer_id = ${customerId} AND key = ${key}`.execute(w.orders.ctx.db);
  expect({ orders: orders.rows.length, keys: keys.rows.length }).toEqual({ orders: 0, keys: 0 });
}

describe('the catalog token', () => {
  it('is orders’ own client-credentials token for the catalog, fetched once and reused across checkouts', async () => {
    const customer = await aCustomer(world.orders);
    const from = world.catalog.seen.length;
    for (let i = 0; i < 4; i++) await placeOrder(world, customer);

    const calls = pricesCalls(world, from);
    expect(calls.map((c) => c.status)).toEqual([200, 200, 200, 200]);
    for (const call of calls) {
      expect(call.caller).toMatchObject({ kind: 'service', subject: world.clientId, clientId: world.clientId, scopes: ['catalog:prices'] });
    }
    expect(new Set(calls.map((c) => c.caller?.tokenId)).size).toBe(1);
    // The customer's own token never travels to the catalog.
    expect(calls.map((c) => c.headers.authorization)).not.toContain(customer.headers.authorization);
    // The first checkouts of this orders: one token request in all.
    expect(await tokenRequests(world)).toBe(1);
  });

  it('when the catalog refuses the token (401), then orders forgets it, gets a new one and asks once more: the checkout succeeds', async () => {
    const customer = await aCustomer(world.orders);
    await placeOrder(world, customer); // a token is cached
    const before = await tokenRequests(world);
    world.catalog.revokeTokensSeen();
    const from = world.catalog.seen.length;

    await placeOrder(world, customer);
    const calls = pricesCalls(world, from);
    expect(calls.map((c) => c.status)).toEqual([401, 200]);
    expect(calls[1]?.caller?.tokenId).toBeDefined();
    expect(calls[1]?.headers.authorization).not.toBe(calls[0]?.headers.authorization);
    expect((await tokenRequests(world)) - before).toBe(1);

    // The new token is cached in turn.
    await placeOrder(world, customer);
    expect((await tokenRequests(world)) - before).toBe(1);
  });

  it('when the catalog refuses the fresh token too, then 503 upstream_unavailable after one retry, and nothing is stored', async () => {
    const customer = await aCustomer(world.orders);
    const key = anIdempotencyKey();
    const before = await tokenRequests(world);
    const from = world.catalog.seen.length;
    world.catalog.answer({ status: 401, headers: { 'content-type': 'application/problem+json' }, body: '{"code":"invalid_token"}' });

    expectProblem(await postCheckout(world.orders, customer, aCheckout(), key), 503, 'upstream_unavailable');
    expect(pricesCalls(world, from)).toHaveLength(2);
    expect((await tokenRequests(world)) - before).toBe(1);
    await nothingStored(world, customer.id, key);
  });
});

describe('when the token endpoint is down', () => {
  // Orders of its own, which has fetched no token yet.
  let fresh: World;
  beforeAll(async () => {
    fresh = await startWorld({ CATALOG_TIMEOUT_MS: '500' });
  });
  afterAll(async () => {
    await fresh?.close();
  });

  it('then the checkout answers 503 upstream_unavailable, the catalog is not called and nothing is stored; the same key works once it is back', async () => {
    const issuer = await testIssuer();
    const customer = await aCustomer(fresh.orders);
    const key = anIdempotencyKey();
    const body = aCheckout();
    issuer.setTokenEndpointAvailable(false);
    try {
      expectProblem(await checkout(fresh, customer, body, { key }), 503, 'upstream_unavailable');
    } finally {
      issuer.setTokenEndpointAvailable(true);
    }
    expect(await tokenRequests(fresh)).toBeGreaterThanOrEqual(1);
    expect(pricesCalls(fresh)).toEqual([]);
    await nothingStored(fresh, customer.id, key);

    const retried = await checkout(fresh, customer, body, { key });
    expect(retried.statusCode, retried.body).toBe(202);
    expect(pricesCalls(fresh).map((c) => c.status)).toEqual([200]);
  });
});
