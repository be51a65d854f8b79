import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aProduct, type Catalog, createProduct, expectProblem, type ProductBody, startCatalog, tag } from './support.js';

let catalog: Catalog;
beforeAll(async () => {
  catalog = await startCatalog();
});
afterAll(async () => {
  await catalog?.close();
});

const list = (query: string) => catalog.app.inject({ method: 'GET', url: `/api/catalog/products${query}` });

/** Follows nextCursor to the end; returns every page. */
async function walk(query: string, from: string | null = null): Promise<ProductBody[][]> {
  const pages: ProductBody[][] = [];
  let cursor = from;
  do {
    const sep = query ? '&' : '?';
    const res = await list(`${query}${cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.statusCode, res.body).toBe(200);
    const body: { items: ProductBody[]; nextCursor: string | null } = res.json();
    pages.push(body.items);
    cursor = body.nextCursor;
  } while (cursor && pages.length < 1_000);
  return pages;
}

describe('GET /api/catalog/products', () => {
  it('lists active products newest first, each with its variants and integer prices', async () => {
    const older = await createProduct(catalog);
    const newer = await createProduct(catalog);
    const res = await list('?limit=100');
    expect(res.statusCode).toBe(200);
    const ids = (res.json().items as ProductBody[]).map((p) => p.id);
    expect(ids.indexOf(newer.id)).toBeLessThan(ids.indexOf(older.id));
    const item = (res.json().items as ProductBody[]).find((p) => p.id === older.id)!;
    expect(item).toMatchObject({
      status: 'active',
      version: 1,
      variants: [{ price: { amount: 1999, currency: 'EUR' } }, { price: { amount: 2999 } }],
    });
  });

  it('when limit is 0 or 101, then it answers 400 validation_failed; 1 and 100 are accepted', async () => {
    expectProblem(await list('?limit=0'), 400, 'validation_failed');
    expectProblem(await list('?limit=101'), 400, 'validation_failed');
    expectProblem(await list('?limit=ten'), 400, 'validation_failed');
    expect((await list('?limit=1')).json().items).toHaveLength(1);
    expect((await list('?limit=100')).statusCode).toBe(200);
  });

  it('when no limit is given, then a page holds at most 20 products', async () => {
    const brand = `Many ${tag()}`;
    for (let i = 0; i < 21; i++) await createProduct(catalog, aProduct({ brand }));
    const res = await list(`?brand=${encodeURIComponent(brand)}`);
    expect(res.json().items).toHaveLength(20);
    expect(res.json().nextCursor).toEqual(expect.any(String));
  });

  it('when a client follows the cursors, then it sees every product exactly once, and the last page has no cursor', async () => {
    const brand = `Walk ${tag()}`;
    const created = [];
    for (let i = 0; i < 7; i++) created.push((await createProduct(catalog, aProduct({ brand }))).id);
    const pages = await walk(`?brand=${encodeURIComponent(brand)}&limit=3`);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    const seen = pages.flat().map((p) => p.id);
    expect(seen).toEqual([...created].reverse());
  });

  it('when products are added during a walk over the whole catalog, then no product is seen twice or skipped', async () => {
    const before = await createProduct(catalog);
    const first = (await list('?limit=2')).json();
    await createProduct(catalog); // lands before the cursor: not part of this walk
    const rest = await walk('?limit=2', first.nextCursor);
    const ids = [...first.items, ...rest.flat()].map((p: ProductBody) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain(before.id);
  });

  it('when the cursor was not issued by the service, then it answers 400 invalid_cursor', async () => {
    const forged = (doc: unknown) => Buffer.from(JSON.stringify(doc)).toString('base64url');
    expectProblem(await list('?cursor=not-a-cursor'), 400, 'invalid_cursor');
    expectProblem(await list(`?cursor=${forged({ v: 1, t: 'yesterday', i: 'x' })}`), 400, 'invalid_cursor');
    expectProblem(
      await list(`?cursor=${forged({ v: 1, t: '2024-02-30T10:00:00.000000Z', i: '00000000-0000-4000-8000-000000000000' })}`),
      400,
      'invalid_cursor',
    );
    expectProblem(await list(`?cursor=${forged([1, 2])}`), 400, 'invalid_cursor');
  });

  it('when a word of a description is searched, then the product is found; a word nobody uses finds nothing', async () => {
    const word = `zorbl${tag().toLowerCase()}`;
    const p = await createProduct(catalog, aProduct({ description: `Hand-thrown in the ${word} workshop by the river.` }));
    const res = await list(`?q=${word}`);
    expect(res.json().items.map((i: ProductBody) => i.id)).toEqual([p.id]);
    expect((await list(`?q=${word}x`)).json().items).toEqual([]);
  });

  it('when the start of a name is searched, then the product is found (prefix match, several words, any case)', async () => {
    const t = tag();
    const p = await createProduct(catalog, aProduct({ name: `Quixotic Teapot ${t}` }));
    const res = await list(`?q=${encodeURIComponent(`quixo TEAP ${t}`)}`);
    expect(res.json().items.map((i: ProductBody) => i.id)).toEqual([p.id]);
  });

  it('when the search term is short or only a stop word, then a substring match finds the product', async () => {
    const brand = `Short ${tag()}`;
    const p = await createProduct(catalog, aProduct({ name: 'Brass Kit', brand }));
    await createProduct(catalog, aProduct({ name: 'Brass Lamp', brand }));
    const res = await list(`?q=it&brand=${encodeURIComponent(brand)}`);
    expect(res.json().items.map((i: ProductBody) => i.id)).toEqual([p.id]);
  });

  it('when the search has tsquery syntax in it, then it is treated as words, not as a query', async () => {
    const res = await list(`?q=${encodeURIComponent("a & !b | c:* ( ' \\ %_")}`);
    expect(res.statusCode).toBe(200);
  });

  it('when a price range is given, then only products with an active variant priced within it are listed', async () => {
    const brand = `Priced ${tag()}`;
    const priced = async (amount: number, active = true) =>
      (await createProduct(catalog, aProduct({ brand, variants: [{ sku: `P-${tag()}`, price: { amount, currency: 'EUR' }, active }] }))).id;
    const cheap = await priced(1_000);
    const middle = await priced(5_000);
    const dear = await priced(9_000);
    await priced(5_000, false);
    const ids = async (q: string) => (await list(`?brand=${encodeURIComponent(brand)}${q}`)).json().items.map((i: ProductBody) => i.id);
    expect(await ids('&minPrice=2000&maxPrice=8000')).toEqual([middle]);
    expect(await ids('&minPrice=5000')).toEqual([dear, middle]);
    expect(await ids('&maxPrice=1000')).toEqual([cheap]);
    expect(await ids('&minPrice=1000&currency=USD')).toEqual([]);
  });

  it('when minPrice is above maxPrice, then it answers 400 invalid_price_range', async () => {
    expectProblem(await list('?minPrice=500&maxPrice=100'), 400, 'invalid_price_range');
    expectProblem(await list('?minPrice=-1'), 400, 'validation_failed');
    expectProblem(await list('?minPrice=1.5'), 400, 'validation_failed');
  });

  it('filters by category and by brand in any letter case', async () => {
    const t = tag();
    const book = await createProduct(catalog, aProduct({ category: `books-${t.toLowerCase()}`, brand: `Ostara ${t}` }));
    expect((await list(`?category=books-${t.toLowerCase()}`)).json().items.map((i: ProductBody) => i.id)).toEqual([book.id]);
    expect((await list(`?brand=${encodeURIComponent(`ostara ${t.toLowerCase()}`)}`)).json().items.map((i: ProductBody) => i.id)).toEqual([
      book.id,
    ]);
    expectProblem(await list('?category=Not%20A%20Key'), 400, 'validation_failed');
  });

  it('hides archived products unless asked for them', async () => {
    const brand = `Archive ${tag()}`;
    const live = await createProduct(catalog, aProduct({ brand }));
    const gone = await createProduct(catalog, aProduct({ brand, status: 'archived' }));
    const ids = async (q: string) => (await list(`?brand=${encodeURIComponent(brand)}${q}`)).json().items.map((i: ProductBody) => i.id);
    expect(await ids('')).toEqual([live.id]);
    expect(await ids('&status=archived')).toEqual([gone.id]);
    expect(await ids('&status=any')).toEqual([gone.id, live.id]);
    expectProblem(await list('?status=deleted'), 400, 'validation_failed');
  });

  it('when the query has an unknown parameter, then it answers 400 validation_failed', async () => {
    expectProblem(await list('?sort=price'), 400, 'validation_failed');
  });
});

describe('GET /api/catalog/products/:id', () => {
  it('answers the product with its variants and its version as ETag', async () => {
    const created = await createProduct(catalog);
    const res = await catalog.app.inject(`/api/catalog/products/${created.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('"1"');
    expect(res.json()).toEqual(created);
  });

  it('when no product has the id, then it answers 404 product_not_found', async () => {
    expectProblem(await catalog.app.inject('/api/catalog/products/4b8c2a1e-9f3d-4c6b-8a7e-1d2f3a4b5c6d'), 404, 'product_not_found');
  });

  it('when the id is not a UUID, then it answers 400 validation_failed', async () => {
    expectProblem(await catalog.app.inject('/api/catalog/products/42'), 400, 'validation_failed');
  });

  it('answers an archived product too, to anyone (order history links to it)', async () => {
    const archived = await createProduct(catalog, aProduct({ status: 'archived' }));
    const res = await catalog.app.inject(`/api/catalog/products/${archived.id}`);
    expect(res.json()).toMatchObject({ id: archived.id, status: 'archived' });
  });
});

describe('the OpenAPI document', () => {
  it('describes every catalog route, and nothing else but the platform routes', async () => {
    const doc = (await catalog.app.inject('/docs/json')).json();
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/catalog/products',
      '/api/catalog/products/{id}',
      '/api/catalog/products/{id}/variants',
      '/api/catalog/skus',
      '/api/catalog/skus/{sku}',
      '/api/catalog/skus/{sku}/price',
      '/internal/catalog/prices',
    ]);
    expect(doc.paths['/api/catalog/products'].post.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    const notFound = doc.paths['/api/catalog/products/{id}'].get.responses['404'];
    expect(notFound).toMatchObject({
      description: 'product_not_found',
      content: { 'application/problem+json': { schema: { type: 'object' } } },
    });
  });
});
