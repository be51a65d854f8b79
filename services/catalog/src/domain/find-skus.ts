import { findVariantsBySkus } from '../data-access/variants-repository.js';
import type { CatalogDeps } from './deps.js';
import type { SkuMatch } from './get-sku.js';
import { isPurchasable } from './product.js';

/** Batch lookup (for the orders service): the variants found, and the SKUs nobody has, in the order asked. */
export async function findSkus(deps: CatalogDeps, skus: string[]): Promise<{ found: SkuMatch[]; unknown: string[] }> {
  const wanted = [...new Set(skus)];
  const rows = await findVariantsBySkus(deps.db, wanted);
  const bySku = new Map(rows.map((r) => [r.variant.sku, r]));
  const found: SkuMatch[] = [];
  const unknown: string[] = [];
  for (const sku of wanted) {
    const row = bySku.get(sku);
    if (row) found.push({ ...row, purchasable: isPurchasable(row.product, row.variant) });
    else unknown.push(sku);
  }
  return { found, unknown };
}
