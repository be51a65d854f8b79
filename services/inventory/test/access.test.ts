import { bearerFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  aSku,
  anOrder,
  type Callers,
  callersOf,
  expectProblem,
  type Headers,
  type Inventory,
  levels,
  reserve,
  startInventory,
  stock,
} from './support.js';

/**
 * Function-level access over HTTP (the policy itself is tested as a table in policy.test.ts):
 * the inventory verifies each caller's token itself; support reads, merchandisers and admins
 * read and change stock, nobody else does anything; a body cannot set what the API does not offer.
 */

let inv: Inventory;
let as: Callers;
let sku: string;
let order: string;
beforeAll(async () => {
  inv = await startInventory();
  as = await callersOf(inv);
  sku = aSku('ACL');
  order = anOrder();
  await stock(inv, sku, { 'berlin-1': 5 });
  await reserve(inv, order, [{ sku, quantity: 1 }]);
});
afterAll(async () => {
  await inv?.close();
});

const inject = (headers: Headers, options: { url: string; method?: 'GET' | 'PUT' | 'POST'; payload?: object }) =>
  inv.app.inject({ ...options, headers });

interface Route {
  name: string;
  writes: boolean;
  send(headers: Headers): ReturnType<typeof inject>;
}

const routes = (): Route[] => [
  { name: 'GET one SKU', writes: false, send: (headers) => inject(headers, { url: `/api/inventory/skus/${sku}` }) },
  { name: 'GET many SKUs', writes: false, send: (headers) => inject(headers, { url: `/api/inventory/skus?sku=${sku}` }) },
  { name: 'GET a reservation', writes: false, send: (headers) => inject(headers, { url: `/api/inventory/reservations/${order}` }) },
  {
    name: 'PUT a count',
    writes: true,
    send: (headers) => inject(headers, { method: 'PUT', url: `/api/inventory/skus/${sku}/locations/berlin-1`, payload: { onHand: 5 } }),
  },
  {
    name: 'POST a receipt',
    writes: true,
    send: (headers) =>
      inject(headers, {
        method: 'POST',
        url: `/api/inventory/skus/${sku}/receipts`,
        payload: { location: 'berlin-1', quantity: 1, reference: 'ACL-1' },
      }),
  },
];

/** Sends every route as one caller; answers route name → status and problem code. */
async function answers(headers: Headers) {
  const out: Record<string, { status: number; code?: string }> = {};
  for (const route of routes()) {
    const res = await route.send(headers);
    out[route.name] = res.statusCode < 300 ? { status: res.statusCode } : { status: res.statusCode, code: res.json().code };
  }
  return out;
}

const every = (answer: { status: number; code?: string }) => Object.fromEntries(routes().map((r) => [r.name, answer]));
const reads = (answer: { status: number; code?: string }, writes: { status: number; code?: string }) =>
  Object.fromEntries(routes().map((r) => [r.name, r.writes ? writes : answer]));

describe('who may read and change stock', () => {
  it('without a token, every route answers 401 unauthenticated with WWW-Authenticate', async () => {
    expect(await answers({})).toEqual(every({ status: 401, code: 'unauthenticated' }));
    for (const route of routes()) expect((await route.send({})).headers['www-authenticate'], route.name).toBe('Bearer realm="emporium"');
  });

  it('a customer, a service, a suspended merchandiser or a suspended support get 403 forbidden everywhere', async () => {
    const service = await bearerFor(inv.name, { service: 'orders', scopes: ['inventory:read'] });
    for (const headers of [as.customer, service, as.suspendedMerchandiser, as.suspendedSupport]) {
      expect(await answers(headers)).toEqual(every({ status: 403, code: 'forbidden' }));
    }
  });

  it('support reads but may not change stock (403)', async () => {
    expect(await answers(as.support)).toEqual(reads({ status: 200 }, { status: 403, code: 'forbidden' }));
  });

  it('a merchandiser and an admin read and change stock', async () => {
    for (const headers of [as.merchandiser, as.admin]) {
      for (const route of routes()) expect((await route.send(headers)).statusCode, route.name).toBeLessThan(300);
    }
  });

  it('a token meant for another service answers 401 invalid_token, even with a staff role', async () => {
    const res = await routes()[0]!.send(await bearerFor('catalog', { roles: ['admin'] }));
    expectProblem(res, 401, 'invalid_token');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="emporium", error="invalid_token"');
  });

  it('the old internal role header is ignored: it is not a token', async () => {
    expect(await answers({ 'x-emporium-role': 'admin' })).toEqual(every({ status: 401, code: 'unauthenticated' }));
  });
});

describe('mass assignment', () => {
  it.each([
    ['reserved', 0],
    ['status', 'committed'],
    ['customerId', 'cus_1'],
    ['role', 'admin'],
    ['total', 1],
    ['available', 100],
  ])('a writer sending %s gets 400 validation_failed on counts and receipts, and nothing changes', async (property, value) => {
    const target = aSku('MASS');
    await stock(inv, target, { 'berlin-1': 3 });
    const before = await levels(inv, target);
    const count = await inv.app.inject({
      method: 'PUT',
      url: `/api/inventory/skus/${target}/locations/berlin-1`,
      headers: as.merchandiser,
      payload: { onHand: 9, [property]: value },
    });
    expectProblem(count, 400, 'validation_failed');
    const receipt = await inv.app.inject({
      method: 'POST',
      url: `/api/inventory/skus/${target}/receipts`,
      headers: as.merchandiser,
      payload: { location: 'berlin-1', quantity: 2, reference: `MASS-${property}`, [property]: value },
    });
    expectProblem(receipt, 400, 'validation_failed');
    expect(await levels(inv, target)).toEqual(before);
  });

  it('every request body of the inventory rejects unknown properties (additionalProperties: false)', async () => {
    const doc = (await inv.app.inject('/docs/json')).json();
    const bodies = Object.entries<Record<string, any>>(doc.paths).flatMap(([path, methods]) =>
      Object.entries<any>(methods)
        .filter(([, op]) => op.requestBody)
        .map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, schema: op.requestBody.content['application/json'].schema })),
    );
    expect(bodies.map((b) => b.route).sort()).toEqual([
      'POST /api/inventory/skus/{sku}/receipts',
      'PUT /api/inventory/skus/{sku}/locations/{location}',
    ]);
    for (const { route, schema } of bodies) expect(schema.additionalProperties, route).toBe(false);
  });
});
