import { sql } from '@emporium/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aProduct, type Callers, type Catalog, callersOf, createProduct, expectProblem, outboxOf, startCatalog, tag } from './support.js';

let catalog: Catalog;
let as: Callers;
beforeAll(async () => {
  catalog = await startCatalog();
  as = await callersOf(catalog);
});
afterAll(async () => {
  await catalog?.close();
});

const batch = (skus: string[]) => catalog.app.inject(`/api/catalog/skus?${skus.map((s) => `sku=${encodeURIComponent(s)}`).join('&')}`);

const putPrice = (sku: string, payload: unknown, headers: Record<string, string> = as.merchandiser) =>
  catalog.app.inject({ method: 'PUT', url: `/api/catalog/skus/${sku}/price`, headers, payload: payload as object });

describe('GET /api/catalog/skus/:sku', () => {
  it('answers the variant with its price and a summary of its product', async () => {
    const product = await createProduct(catalog);
    const variant = product.variants[1]!;
    const res = await catalog.app.inject(`/api/catalog/skus/${variant.sku}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      sku: variant.sku,
      variantId: variant.id,
      attributes: { size: 'L' },
      price: { amount: 2999, currency: 'EUR' },
      active: true,
      purchasable: true,
      product: {
        id: product.id,
        slug: product.slug,
        name: product.name,
        category: 'home',
        brand: product.brand,
        status: 'active',
        version: 1,
      },
    });
  });

  it('when no variant has the SKU, then it answers 404 sku_not_found; a malformed SKU → 400', async () => {
    expectProblem(await catalog.app.inject(`/api/catalog/skus/NOPE-${tag()}`), 404, 'sku_not_found');
    expectProblem(await catalog.app.inject('/api/catalog/skus/lower-case'), 400, 'validation_failed');
  });

  it('when the variant is inactive, then it is found but not purchasable', async () => {
    const sku = `OFF-${tag()}`;
    await createProduct(catalog, aProduct({ variants: [{ sku, price: { amount: 100, currency: 'EUR' }, active: false }] }));
    expect((await catalog.app.inject(`/api/catalog/skus/${sku}`)).json()).toMatchObject({ active: false, purchasable: false });
  });
});

describe('GET /api/catalog/skus?sku=…', () => {
  it('answers the variants found, in the order asked, and lists the unknown SKUs', async () => {
    const a = await createProduct(catalog);
    const b = await createProduct(catalog);
    const missing = `GONE-${tag()}`;
    const asked = [b.variants[0]!.sku, missing, a.variants[1]!.sku, b.variants[0]!.sku];
    const res = await batch(asked);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.items.map((i: { sku: string }) => i.sku)).toEqual([b.variants[0]!.sku, a.variants[1]!.sku]);
    expect(body.items[1]).toMatchObject({ price: { amount: 2999, currency: 'EUR' }, product: { id: a.id } });
    expect(body.unknown).toEqual([missing]);
  });

  it('accepts a single sku parameter', async () => {
    const product = await createProduct(catalog);
    expect((await batch([product.variants[0]!.sku])).json().items).toHaveLength(1);
  });

  it('when more than 100 SKUs or none are asked, then it answers 400 validation_failed; 100 are fine', async () => {
    const skus = Array.from({ length: 101 }, (_, i) => `MANY-${i}`);
    expectProblem(await batch(skus), 400, 'validation_failed');
    expect((await batch(skus.slice(0, 100))).json().unknown).toHaveLength(100);
    expectProblem(await catalog.app.inject('/api/catalog/skus'), 400, 'validation_failed');
    expectProblem(await batch(['bad sku']), 400, 'validation_failed');
  });
});

describe('PUT /api/catalog/skus/:sku/price', () => {
  it('when the price changes, then the SKU answers the new price, the product version moves on and the history keeps both', async () => {
    const product = await createProduct(catalog);
    const variant = product.variants[0]!;
    const res = await putPrice(variant.sku, { amount: 2499, currency: 'EUR' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ sku: variant.sku, price: { amount: 2499, currency: 'EUR' }, product: { version: 2 } });
    expect((await catalog.app.inject(`/api/catalog/skus/${variant.sku}`)).json().price).toEqual({ amount: 2499, currency: 'EUR' });
    const history = await sql<{ old_amount: number | null; new_amount: number }>`
      SELECT old_amount, new_amount FROM price_history WHERE variant_id = ${variant.id} ORDER BY id`.execute(catalog.ctx.db);
    expect(history.rows).toEqual([
      { old_amount: null, new_amount: 1999 },
      { old_amount: 1999, new_amount: 2499 },
    ]);
  });

  it('when the price changes, then catalog.price.changed.v1 carries the old and the new price', async () => {
    const product = await createProduct(catalog);
    const variant = product.variants[1]!;
    await putPrice(variant.sku, { amount: 1000, currency: 'USD' });
    const events = await outboxOf(catalog, 'catalog.price.changed.v1', product.id);
    expect(events.map((e) => e.data)).toEqual([
      {
        productId: product.id,
        variantId: variant.id,
        sku: variant.sku,
        oldPrice: { amount: 2999, currency: 'EUR' },
        newPrice: { amount: 1000, currency: 'USD' },
        changedAt: expect.any(String),
      },
    ]);
  });

  it('when the same price is set again, then nothing changes and no event is emitted (PUT is idempotent)', async () => {
    const product = await createProduct(catalog);
    const sku = product.variants[0]!.sku;
    await putPrice(sku, { amount: 1500, currency: 'EUR' });
    const again = await putPrice(sku, { amount: 1500, currency: 'EUR' });
    expect(again.statusCode).toBe(200);
    expect(again.json().product.version).toBe(2);
    expect(await outboxOf(catalog, 'catalog.price.changed.v1', product.id)).toHaveLength(1);
  });

  it('counts price changes in emporium_catalog_price_changes_total', async () => {
    const read = async () => {
      const text = (await catalog.app.inject('/metrics')).body;
      return Number(/^emporium_catalog_price_changes_total\{[^}]*\} (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    const product = await createProduct(catalog);
    const before = await read();
    await putPrice(product.variants[0]!.sku, { amount: 1, currency: 'EUR' });
    expect(await read()).toBe(before + 1);
  });

  it('when the amount is not a whole number of minor units or the body has other fields, then it answers 400 validation_failed', async () => {
    const product = await createProduct(catalog);
    const sku = product.variants[0]!.sku;
    expectProblem(await putPrice(sku, { amount: 12.5, currency: 'EUR' }), 400, 'validation_failed');
    expectProblem(await putPrice(sku, { amount: '12.50', currency: 'EUR' }), 400, 'validation_failed');
    expectProblem(await putPrice(sku, { amount: 1250 }), 400, 'validation_failed');
    expectProblem(await putPrice(sku, { amount: 1250, currency: 'EUR', sku: 'OTHER' }), 400, 'validation_failed');
  });

  it('when the currency is unsupported, then 422 unsupported_currency; an unknown SKU → 404 sku_not_found', async () => {
    const product = await createProduct(catalog);
    expectProblem(await putPrice(product.variants[0]!.sku, { amount: 100, currency: 'ABC' }), 422, 'unsupported_currency');
    expectProblem(await putPrice(`NONE-${tag()}`, { amount: 100, currency: 'EUR' }), 404, 'sku_not_found');
  });

  it('when the caller may not write, then it answers 403 forbidden and the price stays', async () => {
    const product = await createProduct(catalog);
    const sku = product.variants[0]!.sku;
    expectProblem(await putPrice(sku, { amount: 1, currency: 'EUR' }, {}), 401, 'unauthenticated');
    expectProblem(await putPrice(sku, { amount: 1, currency: 'EUR' }, as.customer), 403, 'forbidden');
    expect((await catalog.app.inject(`/api/catalog/skus/${sku}`)).json().price.amount).toBe(1999);
    expect((await putPrice(sku, { amount: 1, currency: 'EUR' }, as.admin)).statusCode).toBe(200);
  });

  it('when prices of one product change concurrently, then every change is recorded once and the version counts them all', async () => {
    const product = await createProduct(catalog);
    const results = await Promise.all(
      product.variants.flatMap((v) => [
        putPrice(v.sku, { amount: 111, currency: 'EUR' }),
        putPrice(v.sku, { amount: 222, currency: 'EUR' }),
      ]),
    );
    expect(results.every((r) => r.statusCode === 200)).toBe(true);
    const events = await outboxOf(catalog, 'catalog.price.changed.v1', product.id);
    expect(events).toHaveLength(4);
    expect((await catalog.app.inject(`/api/catalog/products/${product.id}`)).json().version).toBe(5);
  });
});
