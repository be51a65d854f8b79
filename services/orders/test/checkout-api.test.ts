import { randomUUID } from 'node:crypto';
import { loadConfig } from '@emporium/config';
import { sql } from '@emporium/db';
import { waitFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestFingerprint } from '../src/domain/idempotency.js';
import { ordersConfig } from '../src/index.js';
import { catalogDown, catalogSells } from './support/catalog.js';
import {
  aCheckout,
  aCustomer,
  anIdempotencyKey,
  cancel as cancelOrder,
  aSku,
  type Customer,
  checkout,
  expectProblem,
  getOrder,
  metricValue,
  outboxOf,
  placeOrder,
  postCheckout,
  startWorld,
  type World,
  waitForStatus,
} from './support/orders.js';

let world: World;
beforeAll(async () => {
  world = await startWorld({
    ORDERS_IDEMPOTENCY_PURGE_INTERVAL_MS: '100',
    ORDERS_IDEMPOTENCY_LEASE_MS: '1000',
    CATALOG_TIMEOUT_MS: '500',
    ORDERS_STATUS_MAX_WAIT_MS: '20000',
  });
});
afterAll(async () => {
  await world?.close();
});

const listOf = async (customer: Customer, query = '') => {
  const res = await world.orders.app.inject({ url: `/api/orders${query}`, headers: customer.headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as {
    items: { id: string; status: string; total: unknown; items: number; statusUrl: string }[];
    nextCursor: string | null;
  };
};

describe('POST /api/orders', () => {
  it('answers 202 with the order id, its status URL and Location; the lines are priced by the catalog', async () => {
    const customer = await aCustomer(world.orders);
    const [a, b] = [aSku(), aSku()];
    const res = await checkout(
      world,
      customer,
      aCheckout({
        lines: [
          { sku: a, quantity: 3 },
          { sku: b, quantity: 1 },
        ],
      }),
      {
        prices: [
          { sku: a, price: 250, name: 'Candle' },
          { sku: b, price: 1_000, name: 'Holder' },
        ],
      },
    );
    expect(res.statusCode, res.body).toBe(202);
    const body = res.json();
    expect(body).toEqual({ orderId: expect.any(String), status: 'reserving', statusUrl: `/api/orders/${body.orderId}` });
    expect(res.headers.location).toBe(body.statusUrl);
    // Priced at the catalog's route for services, with orders' own client-credentials token (the stand-in verified it).
    expect(world.catalog.seen.at(-1)).toMatchObject({
      url: `/internal/catalog/prices?sku=${a}&sku=${b}`,
      status: 200,
      caller: { kind: 'service', subject: world.clientId, scopes: ['catalog:prices'] },
    });

    const order = await getOrder(world.orders, customer, body.orderId);
    expect(order).toMatchObject({
      id: body.orderId,
      lines: [
        { sku: a, name: 'Candle', quantity: 3, unitPrice: { amount: 250, currency: 'EUR' }, lineTotal: { amount: 750, currency: 'EUR' } },
        {
          sku: b,
          name: 'Holder',
          quantity: 1,
          unitPrice: { amount: 1_000, currency: 'EUR' },
          lineTotal: { amount: 1_000, currency: 'EUR' },
        },
      ],
      total: { amount: 1_750, currency: 'EUR' },
      email: 'ada@example.com',
      refunded: false,
      cancelReason: null,
    });
    expect(order.timeline[0]).toMatchObject({
      step: 'placeOrder',
      status: 'succeeded',
      detail: 'We received your order of 4 items for 17.50 EUR.',
    });
    expect(order.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(await metricValue(world.orders, 'emporium_orders_created_total')).toBeGreaterThanOrEqual(1);
  });

  it('when the body tries to set status, total, customerId or a price, then it answers 400 and creates nothing', async () => {
    const customer = await aCustomer(world.orders);
    const key = anIdempotencyKey();
    const valid = aCheckout();
    catalogSells(world.catalog, [{ sku: valid.lines[0]!.sku }]);
    for (const extra of [
      { status: 'confirmed' },
      { total: { amount: 1, currency: 'EUR' } },
      { customerId: 'someone-else' },
      { lines: [{ ...valid.lines[0], unitPrice: { amount: 1, currency: 'EUR' } }] },
    ]) {
      expectProblem(await postCheckout(world.orders, customer, { ...valid, ...extra }, key), 400, 'validation_failed');
    }
    expect((await listOf(customer)).items).toEqual([]);
    // The refused requests did not use up the key.
    expect((await postCheckout(world.orders, customer, valid, key)).statusCode).toBe(202);
  });

  it('refuses bodies out of bounds: no lines, more than 50 lines, a quantity over 100, a bad country or e-mail', async () => {
    const customer = await aCustomer(world.orders);
    const base = aCheckout();
    const line = () => ({ sku: aSku(), quantity: 1 });
    for (const body of [
      { ...base, lines: [] },
      { ...base, lines: Array.from({ length: 51 }, line) },
      { ...base, lines: [{ sku: aSku(), quantity: 101 }] },
      { ...base, shippingAddress: { ...base.shippingAddress, country: 'Germany' } },
      { ...base, email: 'not-an-address' },
    ]) {
      expectProblem(await postCheckout(world.orders, customer, body, anIdempotencyKey()), 400, 'validation_failed');
    }
    const sku = aSku();
    expectProblem(
      await checkout(world, customer, {
        ...base,
        lines: [
          { sku, quantity: 1 },
          { sku, quantity: 2 },
        ],
      }),
      422,
      'duplicate_sku',
    );
  });

  it('when a SKU is unknown to the catalog, then 422 unknown_sku; when the lines are in two currencies, 422 mixed_currencies', async () => {
    const customer = await aCustomer(world.orders);
    const [known, gone] = [aSku(), aSku('GONE')];
    const body = aCheckout({
      lines: [
        { sku: known, quantity: 1 },
        { sku: gone, quantity: 1 },
      ],
    });
    const key = anIdempotencyKey();
    const unknown = await checkout(world, customer, body, { key, prices: [{ sku: known }] });
    expect(expectProblem(unknown, 422, 'unknown_sku').errors).toEqual({ skus: [gone] });
    expect(unknown.headers['retry-after']).toBeUndefined();

    const mixed = await checkout(world, customer, body, {
      key,
      prices: [
        { sku: known, currency: 'EUR' },
        { sku: gone, currency: 'USD' },
      ],
    });
    expectProblem(mixed, 422, 'mixed_currencies');

    const unsellable = await checkout(world, customer, body, { key, prices: [{ sku: known }, { sku: gone, purchasable: false }] });
    expectProblem(unsellable, 422, 'sku_not_purchasable');
    expect((await listOf(customer)).items).toEqual([]);
  });

  it('when the catalog is down, then 503 upstream_unavailable and no order; the same key works once the catalog is back', async () => {
    const customer = await aCustomer(world.orders);
    const body = aCheckout();
    const key = anIdempotencyKey();
    catalogDown(world.catalog);
    expectProblem(await postCheckout(world.orders, customer, body, key), 503, 'upstream_unavailable');
    expect((await listOf(customer)).items).toEqual([]);
    const keys = await sql`SELECT 1 FROM idempotency_keys WHERE key = ${key}`.execute(world.orders.ctx.db);
    expect(keys.rows).toEqual([]);

    const retried = await checkout(world, customer, body, { key });
    expect(retried.statusCode, retried.body).toBe(202);
    expect((await listOf(customer)).items.map((o) => o.id)).toEqual([retried.json().orderId]);
  });
});

describe('Idempotency-Key', () => {
  it('when the header is missing, then 400 idempotency_key_missing and the catalog is not even asked', async () => {
    const customer = await aCustomer(world.orders);
    const asked = world.catalog.seen.length;
    expectProblem(await postCheckout(world.orders, customer, aCheckout()), 400, 'idempotency_key_missing');
    // Checked before the body: a missing key is named even when the body is wrong too.
    expectProblem(await postCheckout(world.orders, customer, { nonsense: true }), 400, 'idempotency_key_missing');
    expectProblem(await postCheckout(world.orders, customer, aCheckout(), 'x'.repeat(256)), 400, 'idempotency_key_invalid');
    expect(world.catalog.seen.length).toBe(asked);
    expect((await listOf(customer)).items).toEqual([]);
  });

  it('when the same request comes again, then the stored answer is replayed byte for byte and no second order is made', async () => {
    const customer = await aCustomer(world.orders);
    const body = aCheckout();
    const key = anIdempotencyKey();
    const first = await checkout(world, customer, body, { key });
    expect(first.statusCode).toBe(202);
    const replays = await metricValue(world.orders, 'emporium_orders_idempotent_replays_total');

    // The same body with its properties in another order is the same request; a quoted key is the same key.
    const reordered = { paymentMethod: body.paymentMethod, shippingAddress: body.shippingAddress, email: body.email, lines: body.lines };
    for (const again of [
      await postCheckout(world.orders, customer, body, key),
      await postCheckout(world.orders, customer, reordered, `"${key}"`),
    ]) {
      expect(again.statusCode).toBe(202);
      expect(again.rawPayload.equals(first.rawPayload)).toBe(true);
      expect(again.headers.location).toBe(first.headers.location);
      expect(again.headers['content-type']).toBe(first.headers['content-type']);
      expect(again.headers['idempotent-replayed']).toBe('true');
    }
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect((await listOf(customer)).items).toHaveLength(1);
    expect(await outboxOf(world.orders, first.json().orderId, 'inventory.reserve.requested.v1')).toHaveLength(1);
    expect(await metricValue(world.orders, 'emporium_orders_idempotent_replays_total')).toBe(replays + 2);
  });

  it('when the same key comes with another body, then 422 idempotency_key_reused', async () => {
    const customer = await aCustomer(world.orders);
    const key = anIdempotencyKey();
    const body = aCheckout();
    expect((await checkout(world, customer, body, { key })).statusCode).toBe(202);
    const other = { ...body, lines: [{ sku: body.lines[0]!.sku, quantity: 2 }] };
    expectProblem(await postCheckout(world.orders, customer, other, key), 422, 'idempotency_key_reused');
    expect((await listOf(customer)).items).toHaveLength(1);
  });

  it('when 10 identical requests with one key arrive at once, then exactly one order is made; the others get 409 or the replay', async () => {
    const customer = await aCustomer(world.orders);
    const body = aCheckout();
    const key = anIdempotencyKey();
    catalogSells(world.catalog, [{ sku: body.lines[0]!.sku }]);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        fetch(`${world.orders.url}/api/orders`, {
          method: 'POST',
          headers: { ...customer.headers, 'idempotency-key': key, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).then(async (r) => ({ status: r.status, text: await r.text() })),
      ),
    );
    const accepted = answers.filter((a) => a.status === 202);
    const busy = answers.filter((a) => a.status === 409);
    expect(accepted.length + busy.length).toBe(10);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(new Set(accepted.map((a) => a.text)).size).toBe(1);
    for (const b of busy) expect(JSON.parse(b.text).code).toBe('idempotency_request_in_progress');
    const orders = (await listOf(customer)).items;
    expect(orders).toHaveLength(1);
    expect(await outboxOf(world.orders, orders[0]!.id, 'inventory.reserve.requested.v1')).toHaveLength(1);
  });

  it('keys belong to their customer: two customers may use the same key, each gets an order', async () => {
    const key = anIdempotencyKey();
    const [ada, bob] = [await aCustomer(world.orders), await aCustomer(world.orders)];
    const first = await checkout(world, ada, aCheckout(), { key });
    const second = await checkout(world, bob, aCheckout(), { key });
    expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
    expect(first.json().orderId).not.toBe(second.json().orderId);
  });

  it('while the first request runs, the same key answers 409 idempotency_request_in_progress with Retry-After', async () => {
    const customer = await aCustomer(world.orders);
    const key = anIdempotencyKey();
    const body = aCheckout();
    world.catalog.answer('hang'); // the catalog is slow: the first request holds the key meanwhile
    const first = postCheckout(world.orders, customer, body, key);
    await waitFor(() => world.catalog.seen.some((s) => s.url.includes(body.lines[0]!.sku)), {
      description: 'the first request to reach the catalog',
    });
    const busy = await postCheckout(world.orders, customer, body, key);
    expectProblem(busy, 409, 'idempotency_request_in_progress');
    expect(busy.headers['retry-after']).toBe('1');
    catalogSells(world.catalog, [{ sku: body.lines[0]!.sku }]);
    expect((await first).statusCode).toBe(202); // the catalog client tries again after its timeout
  });

  it('when the request holding a key died, then the key answers 409 until its lease ends, and is then taken over', async () => {
    const customer = await aCustomer(world.orders);
    const key = anIdempotencyKey();
    const body = aCheckout();
    // As left by a process killed between taking the key and committing the order (nothing else was stored).
    await sql`
      INSERT INTO idempotency_keys (customer_id, key, fingerprint, state, claim_token, claimed_at, created_at, expires_at)
      VALUES (${customer.id}, ${key}, ${requestFingerprint('POST', '/api/orders', body)}, 'in_flight',
              ${randomUUID()}, now(), now(), now() + interval '72 hours')`.execute(world.orders.ctx.db);
    expectProblem(await checkout(world, customer, body, { key }), 409, 'idempotency_request_in_progress');

    await sql`UPDATE idempotency_keys SET claimed_at = now() - interval '2 seconds' WHERE key = ${key}`.execute(world.orders.ctx.db);
    expect((await checkout(world, customer, body, { key })).statusCode).toBe(202);
    expect((await listOf(customer)).items).toHaveLength(1);
  });

  it('after its retention a key is forgotten (purged) and may be used again: it then makes a new order', async () => {
    const customer = await aCustomer(world.orders);
    const key = anIdempotencyKey();
    const body = aCheckout();
    const first = (await checkout(world, customer, body, { key })).json().orderId;
    await sql`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = ${key}`.execute(world.orders.ctx.db);
    await waitFor(
      async () => (await sql`SELECT 1 FROM idempotency_keys WHERE key = ${key}`.execute(world.orders.ctx.db)).rows.length === 0,
      {
        description: 'the purge job to delete the expired key',
      },
    );
    const second = await checkout(world, customer, body, { key });
    expect(second.statusCode).toBe(202);
    expect(second.json().orderId).not.toBe(first);
  });

  it('keeps keys at least 72 hours: a shorter retention is a configuration error naming the variable', () => {
    const env = {
      DATABASE_URL: 'postgres://db/orders',
      BROKER_DATABASE_URL: 'postgres://db/broker',
      CATALOG_URL: 'http://catalog',
      AUTH_ISSUER: 'http://identity/oidc',
      AUTH_CLIENT_ID: 'orders',
      AUTH_CLIENT_SECRET: 'not-a-real-secret',
    };
    expect(loadConfig(ordersConfig, env).ORDERS_IDEMPOTENCY_RETENTION_HOURS).toBe(72);
    expect(() => loadConfig(ordersConfig, { ...env, ORDERS_IDEMPOTENCY_RETENTION_HOURS: '71' })).toThrow(
      /ORDERS_IDEMPOTENCY_RETENTION_HOURS/,
    );
  });
});

describe("the customer's orders", () => {
  it('when another customer asks for an order, then it is not found (404, never 403), and they cannot cancel it', async () => {
    const [owner, other] = [await aCustomer(world.orders), await aCustomer(world.orders)];
    const id = await placeOrder(world, owner);
    expectProblem(await world.orders.app.inject({ url: `/api/orders/${id}`, headers: other.headers }), 404, 'order_not_found');
    expectProblem(
      await world.orders.app.inject({ method: 'POST', url: `/api/orders/${id}/cancel`, headers: other.headers }),
      404,
      'order_not_found',
    );
    expectProblem(await world.orders.app.inject({ url: `/api/orders/${randomUUID()}`, headers: owner.headers }), 404, 'order_not_found');
  });

  it('without a customer, every route answers 401', async () => {
    const id = randomUUID();
    for (const [method, url] of [
      ['POST', '/api/orders'],
      ['GET', '/api/orders'],
      ['GET', `/api/orders/${id}`],
      ['POST', `/api/orders/${id}/cancel`],
    ] as const) {
      expectProblem(await world.orders.app.inject({ method, url, headers: { 'idempotency-key': 'k1' } }), 401, 'unauthenticated');
    }
  });

  it('lists only the customer’s own orders, newest first, a page at a time', async () => {
    const [me, someoneElse] = [await aCustomer(world.orders), await aCustomer(world.orders)];
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push(await placeOrder(world, me));
    await placeOrder(world, someoneElse);

    const first = await listOf(me, '?limit=2');
    expect(first.items.map((o) => o.id)).toEqual([mine[2], mine[1]]);
    expect(first.items[0]).toMatchObject({ total: { amount: 1_250, currency: 'EUR' }, items: 1, statusUrl: `/api/orders/${mine[2]}` });
    const second = await listOf(me, `?limit=2&cursor=${first.nextCursor}`);
    expect(second.items.map((o) => o.id)).toEqual([mine[0]]);
    expect(second.nextCursor).toBeNull();

    expectProblem(await world.orders.app.inject({ url: '/api/orders?limit=101', headers: me.headers }), 400, 'validation_failed');
    expectProblem(await world.orders.app.inject({ url: '/api/orders?cursor=bm9wZQ', headers: me.headers }), 400, 'invalid_cursor');
  });
});

describe('following an order without polling (ETag, If-None-Match, Prefer: wait)', () => {
  const read = (customer: Customer, id: string, headers: Record<string, string> = {}) =>
    world.orders.app.inject({ url: `/api/orders/${id}`, headers: { ...customer.headers, ...headers } });

  it('names the order’s version in the ETag; the same ETag in If-None-Match answers 304 at once, another one the order', async () => {
    const customer = await aCustomer(world.orders);
    const id = await placeOrder(world, customer);
    // Confirmed: it changes no more by itself (the stand-ins answer the saga at once).
    await waitForStatus(world.orders, customer, id, 'confirmed');
    const first = await read(customer, id);
    expect(first.statusCode).toBe(200);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"\d+"$/);

    const same = await read(customer, id, { 'if-none-match': etag });
    expect(same.statusCode).toBe(304);
    expect(same.headers.etag).toBe(etag);
    expect(same.body).toBe('');
    expect((await read(customer, id, { 'if-none-match': 'W/"999999", "abc"' })).statusCode).toBe(200);
    // Another customer learns nothing from a conditional read either.
    expectProblem(await read(await aCustomer(world.orders), id, { 'if-none-match': etag, prefer: 'wait=5' }), 404, 'order_not_found');
  });

  it('when the order changes while a reader waits, then the reader gets the new version; without a change it gets 304 when its wait ends', async () => {
    const customer = await aCustomer(world.orders);
    const id = await placeOrder(world, customer);
    await waitForStatus(world.orders, customer, id, 'confirmed');
    const before = await read(customer, id);
    const etag = before.headers.etag as string;

    const quiet = await read(customer, id, { 'if-none-match': etag, prefer: 'wait=1' });
    expect(quiet.statusCode).toBe(304);
    expect(quiet.headers.etag).toBe(etag);

    // Waits up to 20 s (the cap here); the cancellation moves the version well before.
    const waiting = read(customer, id, { 'if-none-match': etag, prefer: 'respond-async, wait=20' });
    expect((await cancelOrder(world.orders, customer, id)).statusCode).toBe(202);
    const changed = await waiting;
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(changed.json().status).not.toBe(before.json().status);
  });
});

it('documents every route in its OpenAPI document', async () => {
  const doc = (await world.orders.app.inject('/docs/json')).json();
  expect(Object.keys(doc.paths).sort()).toEqual([
    '/api/admin/sagas',
    '/api/admin/sagas/{id}',
    '/api/orders',
    '/api/orders/{id}',
    '/api/orders/{id}/cancel',
  ]);
  expect(Object.keys(doc.paths['/api/orders'])).toEqual(expect.arrayContaining(['get', 'post']));
});
