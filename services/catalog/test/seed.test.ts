import { sql } from '@emporium/db';
import { createTestDatabase } from '@emporium/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_CATALOG, seedDemoCatalog } from '../src/index.js';
import { type Catalog, startCatalog } from './support.js';

const started: Catalog[] = [];
const start = async (env: Record<string, string>) => {
  const c = await startCatalog(env);
  started.push(c);
  return c;
};
afterAll(async () => {
  await Promise.all(started.map((c) => c.close()));
});

const count = async (c: Catalog, query: 'products' | 'variants' | 'created events') => {
  const q =
    query === 'products'
      ? sql<{ n: number }>`SELECT count(*)::int AS n FROM products`
      : query === 'variants'
        ? sql<{ n: number }>`SELECT count(*)::int AS n FROM variants`
        : sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE type = 'catalog.product.created.v1'`;
  return (await q.execute(c.ctx.db)).rows[0]!.n;
};

describe('the demo catalog', () => {
  it('when CATALOG_SEED_DEMO is true, then 30+ products across several categories are loaded, each with 1-4 variants and its created event', async () => {
    const catalog = await start({ CATALOG_SEED_DEMO: 'true' });
    const products = await count(catalog, 'products');
    expect(products).toBe(DEMO_CATALOG.length);
    expect(products).toBeGreaterThanOrEqual(30);
    expect(await count(catalog, 'created events')).toBe(products);
    const perProduct = await sql<{ n: number }>`SELECT count(*)::int AS n FROM variants GROUP BY product_id`.execute(catalog.ctx.db);
    expect(perProduct.rows.every((r) => r.n >= 1 && r.n <= 4)).toBe(true);
    const categories = await sql<{ category: string }>`SELECT DISTINCT category FROM products`.execute(catalog.ctx.db);
    expect(categories.rows.length).toBeGreaterThanOrEqual(5);

    const page = (await catalog.app.inject('/api/catalog/products?category=apparel&q=merino')).json();
    expect(page.items.map((p: { name: string }) => p.name)).toEqual(['Merino Travel Hoodie']);
    const hoodie = page.items[0];
    expect((await catalog.app.inject(`/api/catalog/skus/${hoodie.variants[0].sku}`)).json()).toMatchObject({
      price: { amount: 11900, currency: 'EUR' },
      purchasable: true,
    });
  });

  it('when two replicas start together with seeding on, and one restarts, then the catalog is loaded once', async () => {
    const url = await createTestDatabase('catalog');
    const env = { CATALOG_SEED_DEMO: 'true', DATABASE_URL: url };
    const [a] = await Promise.all([start(env), start(env)]);
    const restarted = await start(env);
    expect(await count(a!, 'products')).toBe(DEMO_CATALOG.length);
    expect(await count(restarted, 'variants')).toBe(DEMO_CATALOG.reduce((n, p) => n + p.variants.length, 0));
    expect(await count(a!, 'created events')).toBe(DEMO_CATALOG.length);
  });

  it('when seeding is off (the default), then the catalog starts empty; seedDemoCatalog loads it once when called', async () => {
    const catalog = await start({});
    expect(await count(catalog, 'products')).toBe(0);
    expect(await seedDemoCatalog(catalog.ctx.db, catalog.ctx.messages)).toEqual({ inserted: DEMO_CATALOG.length });
    expect(await seedDemoCatalog(catalog.ctx.db, catalog.ctx.messages)).toEqual({ inserted: 0 });
    expect(await count(catalog, 'created events')).toBe(DEMO_CATALOG.length);
  });

  it('has the same product ids in every database (name-based ids), and unique slugs and SKUs', async () => {
    const skus = DEMO_CATALOG.flatMap((p) => p.variants.map((v) => v.sku));
    expect(new Set(skus).size).toBe(skus.length);
    const [one, two] = await Promise.all([start({ CATALOG_SEED_DEMO: 'true' }), start({ CATALOG_SEED_DEMO: 'true' })]);
    const ids = async (c: Catalog) => (await sql<{ id: string }>`SELECT id FROM products ORDER BY id`.execute(c.ctx.db)).rows;
    expect(await ids(one!)).toEqual(await ids(two!));
  });
});
