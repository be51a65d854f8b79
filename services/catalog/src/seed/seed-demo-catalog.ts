import { createHash } from 'node:crypto';
import { inTransaction, sql } from '@emporium/db';
import { appendToOutbox, type MessageRegistry } from '@emporium/messaging';
import type { CatalogDb } from '../data-access/db.js';
import { hasAnyProduct } from '../data-access/products-repository.js';
import { insertNewProducts } from '../domain/create-product.js';
import { type CatalogMetrics, noMetrics } from '../domain/deps.js';
import { productCreated } from '../domain/events.js';
import { newProduct, type Product, slugify } from '../domain/product.js';
import { DEMO_CATALOG } from './demo-catalog.js';

/** Advisory lock key of the seeding ("catalog" in ASCII): one seeder at a time per database. */
const SEED_LOCK = 0x636174616c6f67n;

/** A name-based UUID (version 5 layout over SHA-1), so the demo products have the same ids everywhere. */
export function demoId(name: string): string {
  const h = createHash('sha1').update(`emporium.catalog.demo:${name}`).digest().subarray(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The demo products as domain objects, created a minute apart so that "newest first" reads naturally. */
export function demoProducts(now: Date): Product[] {
  return DEMO_CATALOG.map((d, i) => {
    const slug = slugify(d.name);
    const ids = [demoId(slug), ...d.variants.map((v) => demoId(v.sku))];
    let next = 0;
    return newProduct(
      {
        slug,
        name: d.name,
        description: d.description,
        category: d.category,
        brand: d.brand,
        variants: d.variants.map((v) => ({ sku: v.sku, attributes: v.attributes, price: { amount: v.amount, currency: v.currency } })),
      },
      { newId: () => ids[next++]!, now: new Date(now.getTime() - (DEMO_CATALOG.length - i) * 60_000) },
    );
  });
}

/**
 * Loads the demo catalog, with a `catalog.product.created.v1` per product, when the catalog has
 * no product yet; otherwise does nothing. One transaction under an advisory lock: replicas
 * starting together queue on the lock, and those after the first find the products and stop.
 */
export async function seedDemoCatalog(
  db: CatalogDb,
  messages: MessageRegistry,
  options: { now?: Date; metrics?: CatalogMetrics } = {},
): Promise<{ inserted: number }> {
  const inserted = await inTransaction(db, async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${SEED_LOCK.toString()}::bigint)`.execute(trx);
    if (await hasAnyProduct(trx)) return 0;
    const products = demoProducts(options.now ?? new Date());
    await insertNewProducts(trx, products);
    await appendToOutbox(
      trx,
      messages,
      products.map((p) => productCreated(p)),
    );
    return products.length;
  });
  (options.metrics ?? noMetrics).productsCreated(inserted);
  return { inserted };
}
