import type { Envelope } from '@emporium/messaging';
import { uniqueName, waitFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  aProduct,
  type Callers,
  type Catalog,
  callersOf,
  createProduct,
  expectProblem,
  outboxOf,
  type ProductBody,
  startCatalog,
  tag,
} from './support.js';

let catalog: Catalog;
let as: Callers;
/** Every message the catalog published, as a consumer bound to `catalog.#` receives it. */
const received: Envelope<any>[] = [];

beforeAll(async () => {
  catalog = await startCatalog();
  as = await callersOf(catalog);
  const probe = { name: uniqueName('catalog_probe'), bindings: ['catalog.#'] };
  await catalog.transport.declare([probe]);
  await catalog.transport.consume(probe, async (envelope) => {
    received.push(envelope);
  });
});
afterAll(async () => {
  await catalog?.close();
});

const post = (payload: unknown, headers: Record<string, string> = as.merchandiser) =>
  catalog.app.inject({ method: 'POST', url: '/api/catalog/products', headers, payload: payload as object });

const patch = (id: string, payload: unknown, headers: Record<string, string> = {}) =>
  catalog.app.inject({
    method: 'PATCH',
    url: `/api/catalog/products/${id}`,
    headers: { ...as.merchandiser, ...headers },
    payload: payload as object,
  });

const addVariant = (id: string, payload: unknown, headers: Record<string, string> = as.merchandiser) =>
  catalog.app.inject({ method: 'POST', url: `/api/catalog/products/${id}/variants`, headers, payload: payload as object });

describe('POST /api/catalog/products', () => {
  it('when a merchandiser creates a product, then it answers 201 with the product, its Location and ETag, and reads back the same', async () => {
    const input = aProduct({ slug: `lantern-${tag().toLowerCase()}` });
    const res = await post(input);
    expect(res.statusCode).toBe(201);
    const body: ProductBody = res.json();
    expect(body).toMatchObject({
      slug: input.slug,
      name: input.name,
      category: 'home',
      brand: input.brand,
      status: 'active',
      version: 1,
      variants: [
        { sku: input.variants[0]!.sku, attributes: { size: 'S' }, price: { amount: 1999, currency: 'EUR' }, active: true },
        { sku: input.variants[1]!.sku, attributes: { size: 'L' }, price: { amount: 2999, currency: 'EUR' }, active: true },
      ],
    });
    expect(res.headers.location).toBe(`/api/catalog/products/${body.id}`);
    expect(res.headers.etag).toBe('"1"');
    expect((await catalog.app.inject(res.headers.location as string)).json()).toEqual(body);
  });

  it('when the product is created, then catalog.product.created.v1 is committed to the outbox with it and reaches a consumer', async () => {
    const product = await createProduct(catalog);
    const [event] = await outboxOf(catalog, 'catalog.product.created.v1', product.id);
    expect(event).toMatchObject({
      source: 'catalog',
      subject: product.id,
      data: {
        productId: product.id,
        slug: product.slug,
        status: 'active',
        variants: product.variants.map((v) => ({ variantId: v.id, sku: v.sku, price: v.price, active: true })),
      },
    });
    const delivered = await waitFor(() => received.find((e) => e.id === event!.id), { description: 'the created event' });
    expect(delivered.type).toBe('catalog.product.created.v1');
  });

  it('when no slug is given, then one is made from the name', async () => {
    const t = tag();
    const product = await createProduct(catalog, aProduct({ name: `Café Crème Bowl — ${t}` }));
    expect(product.slug).toBe(`cafe-creme-bowl-${t.toLowerCase()}`);
  });

  it('when the slug is taken, then it answers 409 slug_taken and creates nothing', async () => {
    const first = await createProduct(catalog);
    const second = aProduct({ slug: first.slug });
    expectProblem(await post(second), 409, 'slug_taken');
    const sku = await catalog.app.inject(`/api/catalog/skus/${second.variants[0]!.sku}`);
    expectProblem(sku, 404, 'sku_not_found');
  });

  it('when a SKU is taken by another product, then it answers 409 sku_taken and creates nothing', async () => {
    const first = await createProduct(catalog);
    const second = aProduct();
    second.variants[1]!.sku = first.variants[0]!.sku;
    const problem = expectProblem(await post(second), 409, 'sku_taken');
    expect(problem.errors).toEqual({ sku: first.variants[0]!.sku });
    expect((await catalog.app.inject(`/api/catalog/skus/${second.variants[0]!.sku}`)).statusCode).toBe(404);
    expect(
      await outboxOf(catalog, 'catalog.product.created.v1', undefined).then((es) => es.filter((e) => e.data.slug === second.slug)),
    ).toEqual([]);
  });

  it('when two requests create the same SKU at once, then exactly one wins and the other gets 409 sku_taken', async () => {
    const sku = `RACE-${tag()}`;
    const results = await Promise.all(
      [1, 2, 3].map(() => post(aProduct({ variants: [{ sku, price: { amount: 100, currency: 'EUR' } }] }))),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409]);
    for (const r of results.filter((r) => r.statusCode === 409)) expect(r.json().code).toBe('sku_taken');
  });

  it('when the same SKU is given twice, or two variants have the same attributes, then it answers 422', async () => {
    const t = tag();
    const price = { amount: 500, currency: 'EUR' };
    expectProblem(
      await post(
        aProduct({
          variants: [
            { sku: `D-${t}`, attributes: { size: 'S' }, price },
            { sku: `D-${t}`, attributes: { size: 'M' }, price },
          ],
        }),
      ),
      422,
      'duplicate_sku',
    );
    expectProblem(
      await post(
        aProduct({
          variants: [
            { sku: `A-${t}`, attributes: { size: 'S' }, price },
            { sku: `B-${t}`, attributes: { size: 's' }, price },
          ],
        }),
      ),
      422,
      'duplicate_variant',
    );
  });

  it('when the currency is not one the catalog sells in, then it answers 422 unsupported_currency', async () => {
    expectProblem(
      await post(aProduct({ variants: [{ sku: `C-${tag()}`, price: { amount: 100, currency: 'XYZ' } }] })),
      422,
      'unsupported_currency',
    );
  });

  it('when a price is not a whole number of minor units, then it answers 400 validation_failed', async () => {
    expectProblem(
      await post(aProduct({ variants: [{ sku: `F-${tag()}`, price: { amount: 19.99, currency: 'EUR' } }] })),
      400,
      'validation_failed',
    );
    expectProblem(
      await post(aProduct({ variants: [{ sku: `N-${tag()}`, price: { amount: -1, currency: 'EUR' } }] })),
      400,
      'validation_failed',
    );
    expectProblem(
      await post(aProduct({ variants: [{ sku: `E-${tag()}`, price: { amount: 100, currency: 'eur' } }] })),
      400,
      'validation_failed',
    );
  });

  it('when required fields are missing or malformed, then it answers 400 validation_failed', async () => {
    const { name: _name, ...noName } = aProduct();
    expectProblem(await post(noName), 400, 'validation_failed');
    expectProblem(await post(aProduct({ variants: [] })), 400, 'validation_failed');
    expectProblem(await post(aProduct({ name: '   ' })), 400, 'validation_failed');
    expectProblem(await post(aProduct({ slug: 'Not A Slug' })), 400, 'validation_failed');
    expectProblem(
      await post(aProduct({ variants: [{ sku: 'lower-case', price: { amount: 1, currency: 'EUR' } }] })),
      400,
      'validation_failed',
    );
  });

  it('when the body sets id, version or createdAt (mass assignment), then it answers 400 validation_failed', async () => {
    const id = '4b8c2a1e-9f3d-4c6b-8a7e-1d2f3a4b5c6d';
    for (const extra of [{ id }, { version: 7 }, { createdAt: '2020-01-01T00:00:00Z' }, { updatedAt: '2020-01-01T00:00:00Z' }]) {
      expectProblem(await post({ ...aProduct(), ...extra }), 400, 'validation_failed');
    }
    const variantWithId = aProduct();
    (variantWithId.variants[0] as unknown as Record<string, unknown>).id = id;
    expectProblem(await post(variantWithId), 400, 'validation_failed');
    expectProblem(await catalog.app.inject(`/api/catalog/products/${id}`), 404, 'product_not_found');
  });

  it('when the body is larger than 64 KiB, then it answers 413 body_too_large', async () => {
    expectProblem(await post(aProduct({ description: 'x'.repeat(70_000) })), 413, 'body_too_large');
  });

  it('when the body is not JSON, then it answers 400 malformed_body', async () => {
    const res = await catalog.app.inject({
      method: 'POST',
      url: '/api/catalog/products',
      headers: { ...as.merchandiser, 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expectProblem(res, 400, 'malformed_body');
  });

  it('when the caller is anonymous, then 401 unauthenticated; with a role that may not write, 403 forbidden — before looking at the body', async () => {
    expectProblem(await post(aProduct(), {}), 401, 'unauthenticated');
    expectProblem(await post(aProduct(), as.customer), 403, 'forbidden');
    // The internal role header of before is not trusted: only a verified access token says who calls.
    expectProblem(await post(aProduct(), { 'x-emporium-role': 'admin' }), 401, 'unauthenticated');
    expectProblem(await post({ nonsense: true }, {}), 401, 'unauthenticated');
    expectProblem(await post({ nonsense: true }, as.customer), 403, 'forbidden');
    expect((await post(aProduct(), as.admin)).statusCode).toBe(201);
  });

  it('counts created products in emporium_catalog_products_created_total', async () => {
    await createProduct(catalog);
    const metrics = (await catalog.app.inject('/metrics')).body;
    expect(metrics).toMatch(/^emporium_catalog_products_created_total\{[^}]*\} [1-9]\d*$/m);
  });
});

describe('PATCH /api/catalog/products/:id', () => {
  it('when If-Match names the current version, then the change is saved, the version moves on and the new ETag is answered', async () => {
    const product = await createProduct(catalog);
    const res = await patch(product.id, { name: 'Renamed Lantern', description: 'Now brighter.' }, { 'if-match': '"1"' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ name: 'Renamed Lantern', description: 'Now brighter.', version: 2, slug: product.slug });
    expect(res.headers.etag).toBe('"2"');
    expect((await catalog.app.inject(`/api/catalog/products/${product.id}`)).json()).toMatchObject({ name: 'Renamed Lantern', version: 2 });
  });

  it('when the version comes in the body instead, then the change is saved too', async () => {
    const product = await createProduct(catalog);
    const res = await patch(product.id, { category: 'kitchen', version: 1 });
    expect(res.json()).toMatchObject({ category: 'kitchen', version: 2 });
  });

  it('when If-Match names an older version, then it answers 412 version_conflict and changes nothing', async () => {
    const product = await createProduct(catalog);
    await patch(product.id, { name: 'First Writer' }, { 'if-match': '"1"' });
    const problem = expectProblem(await patch(product.id, { name: 'Second Writer' }, { 'if-match': '"1"' }), 412, 'version_conflict');
    expect(problem.errors).toEqual({ currentVersion: 2 });
    expect((await catalog.app.inject(`/api/catalog/products/${product.id}`)).json().name).toBe('First Writer');
  });

  it('when the body version is older, then it answers 409 version_conflict', async () => {
    const product = await createProduct(catalog);
    await patch(product.id, { brand: 'New Brand', version: 1 });
    expectProblem(await patch(product.id, { brand: 'Other Brand', version: 1 }), 409, 'version_conflict');
  });

  it('when several writers send the same version at once, then exactly one change wins', async () => {
    const product = await createProduct(catalog);
    const results = await Promise.all([1, 2, 3, 4].map((n) => patch(product.id, { name: `Writer ${n}` }, { 'if-match': '"1"' })));
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 412, 412, 412]);
    expect((await catalog.app.inject(`/api/catalog/products/${product.id}`)).json().version).toBe(2);
  });

  it('when no version is sent, then it answers 428 precondition_required', async () => {
    const product = await createProduct(catalog);
    expectProblem(await patch(product.id, { name: 'Blind Write' }), 428, 'precondition_required');
  });

  it('accepts If-Match: * and a list of entity tags; refuses a malformed If-Match with 400 invalid_if_match', async () => {
    const product = await createProduct(catalog);
    expect((await patch(product.id, { name: 'Star' }, { 'if-match': '*' })).json().version).toBe(2);
    expect((await patch(product.id, { name: 'List' }, { 'if-match': '"1", "2"' })).json().version).toBe(3);
    expectProblem(await patch(product.id, { name: 'Bad' }, { 'if-match': 'version-3' }), 400, 'invalid_if_match');
  });

  it('when the values are already current, then nothing changes and the version stays', async () => {
    const product = await createProduct(catalog);
    const res = await patch(product.id, { name: product.name, status: 'active' }, { 'if-match': '"1"' });
    expect(res.json()).toMatchObject({ version: 1, updatedAt: product.updatedAt });
  });

  it('when a product is archived, then it leaves the default listing and its SKUs are no longer purchasable', async () => {
    const product = await createProduct(catalog);
    expect((await patch(product.id, { status: 'archived', version: 1 })).json().status).toBe('archived');
    const listed = (await catalog.app.inject(`/api/catalog/products?brand=${encodeURIComponent(product.brand)}`)).json();
    expect(listed.items).toEqual([]);
    const sku = (await catalog.app.inject(`/api/catalog/skus/${product.variants[0]!.sku}`)).json();
    expect(sku).toMatchObject({ purchasable: false, product: { status: 'archived' } });
  });

  it('when the patch sets nothing, then it answers 400 empty_patch', async () => {
    const product = await createProduct(catalog);
    expectProblem(await patch(product.id, { version: 1 }), 400, 'empty_patch');
    expectProblem(await patch(product.id, {}, { 'if-match': '"1"' }), 400, 'empty_patch');
  });

  it('when the body sets id, slug, version-less timestamps or variants (mass assignment), then it answers 400 validation_failed', async () => {
    const product = await createProduct(catalog);
    for (const extra of [
      { id: '4b8c2a1e-9f3d-4c6b-8a7e-1d2f3a4b5c6d' },
      { createdAt: '2020-01-01T00:00:00Z' },
      { slug: 'hijacked' },
      { variants: [] },
    ]) {
      expectProblem(await patch(product.id, { name: 'X', ...extra }, { 'if-match': '"1"' }), 400, 'validation_failed');
    }
  });

  it('when no product has the id, then it answers 404 product_not_found; a malformed id → 400', async () => {
    expectProblem(await patch('4b8c2a1e-9f3d-4c6b-8a7e-1d2f3a4b5c6d', { name: 'Ghost', version: 1 }), 404, 'product_not_found');
    expectProblem(await patch('nope', { name: 'Ghost', version: 1 }), 400, 'validation_failed');
  });

  it('when the caller is anonymous, then 401; when it may not write, then 403 forbidden', async () => {
    const product = await createProduct(catalog);
    const res = await catalog.app.inject({
      method: 'PATCH',
      url: `/api/catalog/products/${product.id}`,
      payload: { name: 'Nope', version: 1 },
    });
    expectProblem(res, 401, 'unauthenticated');
    expectProblem(await patch(product.id, { name: 'Nope', version: 1 }, as.customer), 403, 'forbidden');
  });
});

describe('POST /api/catalog/products/:id/variants', () => {
  it('when a variant is added, then it answers 201 with the SKU, the product gains it at a new version, and catalog.variant.added.v1 is emitted', async () => {
    const product = await createProduct(catalog);
    const sku = `ADD-${tag()}`;
    const res = await addVariant(product.id, { sku, attributes: { size: 'XL' }, price: { amount: 3999, currency: 'EUR' } });
    expect(res.statusCode).toBe(201);
    expect(res.headers.location).toBe(`/api/catalog/skus/${sku}`);
    expect(res.json()).toMatchObject({ sku, attributes: { size: 'XL' }, price: { amount: 3999, currency: 'EUR' }, purchasable: true });
    const after = (await catalog.app.inject(`/api/catalog/products/${product.id}`)).json();
    expect(after.version).toBe(2);
    expect(after.variants.map((v: { sku: string }) => v.sku)).toEqual([...product.variants.map((v) => v.sku), sku]);
    const [event] = await outboxOf(catalog, 'catalog.variant.added.v1', product.id);
    expect(event!.data).toMatchObject({ productId: product.id, variant: { sku, price: { amount: 3999, currency: 'EUR' } } });
  });

  it('when the SKU is taken, then it answers 409 sku_taken; when the attributes repeat a variant, 422 duplicate_variant', async () => {
    const product = await createProduct(catalog);
    const other = await createProduct(catalog);
    expectProblem(await addVariant(product.id, { sku: other.variants[0]!.sku, price: { amount: 1, currency: 'EUR' } }), 409, 'sku_taken');
    expectProblem(
      await addVariant(product.id, { sku: `DUP-${tag()}`, attributes: { size: 'S' }, price: { amount: 1, currency: 'EUR' } }),
      422,
      'duplicate_variant',
    );
  });

  it('when the product does not exist, then 404 product_not_found; mass assignment → 400; no caller → 401', async () => {
    const body = { sku: `V-${tag()}`, price: { amount: 1, currency: 'EUR' } };
    expectProblem(await addVariant('4b8c2a1e-9f3d-4c6b-8a7e-1d2f3a4b5c6d', body), 404, 'product_not_found');
    const product = await createProduct(catalog);
    expectProblem(await addVariant(product.id, { ...body, id: '4b8c2a1e-9f3d-4c6b-8a7e-1d2f3a4b5c6d' }), 400, 'validation_failed');
    expectProblem(await addVariant(product.id, body, {}), 401, 'unauthenticated');
  });
});
