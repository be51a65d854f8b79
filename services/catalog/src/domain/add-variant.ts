import { inTransaction } from '@emporium/db';
import { appendToOutbox } from '@emporium/messaging';
import { takenKeyOf } from '../data-access/db.js';
import { appendPriceHistory } from '../data-access/price-history-repository.js';
import { lockProductForUpdate, saveProduct } from '../data-access/products-repository.js';
import { insertVariants } from '../data-access/variants-repository.js';
import type { CatalogDeps } from './deps.js';
import { productNotFound, skuTaken } from './errors.js';
import { variantAdded } from './events.js';
import { type NewVariant, type Product, type Variant, withNewVariant } from './product.js';
import { withVariants } from './read-products.js';

/** Adds a variant (a new SKU) to a product; `catalog.variant.added.v1` is committed with it. */
export async function addVariant(deps: CatalogDeps, productId: string, input: NewVariant): Promise<{ product: Product; variant: Variant }> {
  const result = await inTransaction(deps.db, async (trx) => {
    const locked = await lockProductForUpdate(trx, productId);
    if (!locked) throw productNotFound(productId);
    const [current] = await withVariants(trx, [locked]);
    const next = withNewVariant(current!, input, { newId: deps.newId, now: deps.now() });
    try {
      await insertVariants(trx, [next.variant]);
    } catch (error) {
      if (takenKeyOf(error)?.key === 'sku') throw skuTaken(next.variant.sku);
      throw error;
    }
    await appendPriceHistory(trx, [{ variantId: next.variant.id, old: null, new: next.variant.price, changedAt: next.variant.createdAt }]);
    await saveProduct(trx, next.product);
    await appendToOutbox(trx, deps.messages, variantAdded(next.variant));
    return next;
  });
  deps.metrics.variantsAdded(1);
  return result;
}
