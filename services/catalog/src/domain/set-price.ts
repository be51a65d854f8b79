import { inTransaction } from '@emporium/db';
import { appendToOutbox } from '@emporium/messaging';
import { appendPriceHistory } from '../data-access/price-history-repository.js';
import { lockProductForUpdate, saveProduct } from '../data-access/products-repository.js';
import { lockVariantBySkuForUpdate, saveVariantPrice } from '../data-access/variants-repository.js';
import type { CatalogDeps } from './deps.js';
import { skuNotFound } from './errors.js';
import { priceChanged } from './events.js';
import type { Money } from './money.js';
import { isPurchasable, repriced, touched } from './product.js';
import type { SkuMatch } from './get-sku.js';

/**
 * Sets the price of one SKU. A real change is recorded in the price history and announced as
 * `catalog.price.changed.v1` with the old and the new price, in the same transaction; the
 * product's version moves on. Setting the current price again changes nothing (PUT is idempotent).
 */
export async function setPrice(deps: CatalogDeps, sku: string, price: Money): Promise<SkuMatch & { changed: boolean }> {
  const result = await inTransaction(deps.db, async (trx) => {
    const variant = await lockVariantBySkuForUpdate(trx, sku);
    if (!variant) throw skuNotFound(sku);
    const product = (await lockProductForUpdate(trx, variant.productId))!;
    const now = deps.now();
    const next = repriced(variant, price, now);
    if (!next) return { product, variant, purchasable: isPurchasable(product, variant), changed: false };
    const nextProduct = touched(product, now);
    await saveVariantPrice(trx, next);
    await appendPriceHistory(trx, [{ variantId: next.id, old: variant.price, new: next.price, changedAt: now }]);
    await saveProduct(trx, nextProduct);
    await appendToOutbox(trx, deps.messages, priceChanged(variant.price, next));
    return { product: nextProduct, variant: next, purchasable: isPurchasable(nextProduct, next), changed: true };
  });
  if (result.changed) deps.metrics.priceChanged();
  return result;
}
