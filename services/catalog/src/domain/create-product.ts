import { inTransaction } from '@emporium/db';
import { appendToOutbox } from '@emporium/messaging';
import type { CatalogDb } from '../data-access/db.js';
import { takenKeyOf } from '../data-access/db.js';
import { appendPriceHistory } from '../data-access/price-history-repository.js';
import { insertProducts } from '../data-access/products-repository.js';
import { insertVariants } from '../data-access/variants-repository.js';
import type { CatalogDeps } from './deps.js';
import { skuTaken, slugTaken } from './errors.js';
import { productCreated } from './events.js';
import { type NewProduct, newProduct, type Product } from './product.js';

/** Creates a product with its variants; its `catalog.product.created.v1` is committed with it. */
export async function createProduct(deps: CatalogDeps, input: NewProduct): Promise<Product> {
  const product = newProduct(input, { newId: deps.newId, now: deps.now() });
  await inTransaction(deps.db, async (trx) => {
    await insertNewProducts(trx, [product]);
    await appendToOutbox(trx, deps.messages, productCreated(product));
  });
  deps.metrics.productsCreated(1);
  return product;
}

/**
 * Inserts new products, their variants and the first entry of each variant's price history.
 * A slug or SKU already in the catalog → 409 slug_taken / sku_taken (the unique keys decide,
 * so two concurrent creators cannot both win).
 */
export async function insertNewProducts(trx: CatalogDb, products: Product[]): Promise<void> {
  const variants = products.flatMap((p) => p.variants);
  try {
    await insertProducts(trx, products);
    await insertVariants(trx, variants);
  } catch (error) {
    const taken = takenKeyOf(error);
    if (taken?.key === 'slug') throw slugTaken(taken.value);
    if (taken?.key === 'sku') throw skuTaken(taken.value);
    throw error;
  }
  await appendPriceHistory(
    trx,
    variants.map((v) => ({ variantId: v.id, old: null, new: v.price, changedAt: v.createdAt })),
  );
}
