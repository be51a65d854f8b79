import { bearerFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  aProduct,
  type Callers,
  type Catalog,
  callersOf,
  createProduct,
  expectProblem,
  type Headers,
  type ProductBody,
  startCatalog,
  tag,
} from './support.js';

/**
 * Function-level access over HTTP (the policy itself is tested as a table in policy.test.ts):
 * the catalog verifies each caller's token itself; only merchandisers and admins write; a body
 * cannot set what the API does not offer (mass assignment).
 */

let catalog: Catalog;
let as: Callers;
beforeAll(async () => {
  catalog = await startCatalog();
  as = await callersOf(catalog);
});
afterAll(async () => {
  await catalog?.close();
});

const inject = (method: 'POST' | 'PATCH' | 'PUT', url: string, payload: object, headers: Headers) =>
  catalog.app.inject({ method, url, headers, payload });

interface WriteRoute {
  name: string;
  /** The properties its body offers. */
  fields: string[];
  send(headers: Headers, extra?: Record<string, unknown>): ReturnType<typeof inject>;
}

/** Each writer route with a valid body for a fresh product; `extra` adds properties to the body. */
async function writeRoutes(): Promise<{ product: ProductBody; routes: WriteRoute[] }> {
  const product = await createProduct(catalog);
  const sku = product.variants[0]!.sku;
  const routes: WriteRoute[] = [
    {
      name: 'POST /api/catalog/products',
      fields: ['slug', 'name', 'description', 'category', 'brand', 'status', 'variants'],
      send: (h, extra) => inject('POST', '/api/catalog/products', { ...aProduct(), ...extra }, h),
    },
    {
      name: 'PATCH /api/catalog/products/:id',
      fields: ['name', 'description', 'category', 'brand', 'status', 'version'],
      send: (h, extra) => inject('PATCH', `/api/catalog/products/${product.id}`, { name: 'Renamed', version: 1, ...extra }, h),
    },
    {
      name: 'POST /api/catalog/products/:id/variants',
      fields: ['sku', 'attributes', 'price', 'active'],
      send: (h, extra) =>
        inject(
          'POST',
          `/api/catalog/products/${product.id}/variants`,
          { sku: `NEW-${tag()}`, price: { amount: 500, currency: 'EUR' }, ...extra },
          h,
        ),
    },
    {
      name: 'PUT /api/catalog/skus/:sku/price',
      fields: ['amount', 'currency'],
      send: (h, extra) => inject('PUT', `/api/catalog/skus/${sku}/price`, { amount: 1, currency: 'EUR', ...extra }, h),
    },
  ];
  return { product, routes };
}

/** The product as anyone reads it. */
const read = async (id: string): Promise<ProductBody> => (await catalog.app.inject(`/api/catalog/products/${id}`)).json();

describe('who may change the catalog', () => {
  it('without a token, every writer route answers 401 unauthenticated with WWW-Authenticate, and nothing changes', async () => {
    const { product, routes } = await writeRoutes();
    for (const route of routes) {
      const res = await route.send({});
      expectProblem(res, 401, 'unauthenticated');
      expect(res.headers['www-authenticate'], route.name).toBe('Bearer realm="emporium"');
    }
    expect(await read(product.id)).toEqual(product);
  });

  it('a customer, support, a suspended merchandiser or a service get 403 forbidden on every writer route, and nothing changes', async () => {
    const { product, routes } = await writeRoutes();
    const service = await bearerFor(catalog.name, { service: 'orders', scopes: ['catalog:prices'] });
    const refused: [string, Headers][] = [
      ['customer', as.customer],
      ['support', as.support],
      ['suspended merchandiser', as.suspendedMerchandiser],
      ['service', service],
    ];
    for (const route of routes) {
      for (const [who, headers] of refused) {
        const res = await route.send(headers);
        expect({ route: route.name, who, status: res.statusCode, code: res.json().code }).toEqual({
          route: route.name,
          who,
          status: 403,
          code: 'forbidden',
        });
      }
    }
    expect(await read(product.id)).toEqual(product);
  });

  it('a token meant for another service answers 401 invalid_token, even with the writer role', async () => {
    const { routes } = await writeRoutes();
    const res = await routes[0]!.send(await bearerFor('inventory', { roles: ['merchandiser'] }));
    expectProblem(res, 401, 'invalid_token');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="emporium", error="invalid_token"');
  });

  it('the old internal role header is ignored: it is not a token', async () => {
    const { routes } = await writeRoutes();
    expectProblem(await routes[0]!.send({ 'x-emporium-role': 'admin', 'x-emporium-customer-id': 'c1' }), 401, 'unauthenticated');
  });

  it('a merchandiser and an admin may use every writer route', async () => {
    for (const headers of [as.merchandiser, as.admin]) {
      const { routes } = await writeRoutes();
      for (const route of routes) expect((await route.send(headers)).statusCode, route.name).toBeLessThan(300);
    }
  });

  it('reading needs no token', async () => {
    const product = await createProduct(catalog);
    expect((await catalog.app.inject(`/api/catalog/products/${product.id}`)).statusCode).toBe(200);
    expect((await catalog.app.inject(`/api/catalog/skus/${product.variants[0]!.sku}`)).statusCode).toBe(200);
    expect((await catalog.app.inject('/api/catalog/products?limit=1')).statusCode).toBe(200);
  });
});

describe('mass assignment', () => {
  it.each([
    ['status', 'archived'],
    ['customerId', 'cus_1'],
    ['role', 'admin'],
    ['total', 1],
    ['id', '4b8c2a1e-9f3d-4c6b-8a7e-1d2f3a4b5c6d'],
    ['version', 7],
    ['createdAt', '2020-01-01T00:00:00.000Z'],
  ])('a writer sending %s that the route does not offer gets 400 validation_failed, and nothing changes', async (property, value) => {
    const { product, routes } = await writeRoutes();
    for (const route of routes) {
      if (route.fields.includes(property)) continue; // e.g. a product's status: there it is no mass assignment
      const res = await route.send(as.merchandiser, { [property]: value });
      expect({ route: route.name, status: res.statusCode, code: res.json().code }).toEqual({
        route: route.name,
        status: 400,
        code: 'validation_failed',
      });
    }
    expect(await read(product.id)).toEqual(product);
  });

  it('every request body of the catalog rejects unknown properties (additionalProperties: false)', async () => {
    const doc = (await catalog.app.inject('/docs/json')).json();
    const bodies = Object.entries<Record<string, any>>(doc.paths).flatMap(([path, methods]) =>
      Object.entries<any>(methods)
        .filter(([, op]) => op.requestBody)
        .map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, schema: op.requestBody.content['application/json'].schema })),
    );
    expect(bodies.map((b) => b.route).sort()).toEqual([
      'PATCH /api/catalog/products/{id}',
      'POST /api/catalog/products',
      'POST /api/catalog/products/{id}/variants',
      'PUT /api/catalog/skus/{sku}/price',
    ]);
    for (const { route, schema } of bodies) expect(schema.additionalProperties, route).toBe(false);
  });
});
