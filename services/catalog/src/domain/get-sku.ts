import type { ProductRecord } from '../data-access/tables.js';
import { findVariantsBySkus } from '../data-access/variants-repository.js';
import type { CatalogDeps } from './deps.js';
import { skuNotFound } from './errors.js';
import { isPurchasable, type Variant } from './product.js';

/** A variant found by its SKU, with its product and whether it can be ordered now. */
export interface SkuMatch {
  product: ProductRecord;
  variant: Variant;
  purchasable: boolean;
}

export async function getSku(deps: CatalogDeps, sku: string): Promise<SkuMatch> {
  const [found] = await findVariantsBySkus(deps.db, [sku]);
  if (!found) throw skuNotFound(sku);
  return { ...found, purchasable: isPurchasable(found.product, found.variant) };
}
