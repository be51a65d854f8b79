import type { CatalogDb } from '../data-access/db.js';
import type { ProductRecord } from '../data-access/tables.js';
import { findVariantsOfProducts } from '../data-access/variants-repository.js';
import type { Product } from './product.js';

/** The products with their variants, read in one more query for the whole list. */
export async function withVariants(db: CatalogDb, products: ProductRecord[]): Promise<Product[]> {
  const variants = await findVariantsOfProducts(
    db,
    products.map((p) => p.id),
  );
  const byProduct = new Map<string, Product['variants']>();
  for (const v of variants) {
    const list = byProduct.get(v.productId);
    if (list) list.push(v);
    else byProduct.set(v.productId, [v]);
  }
  return products.map((p) => ({ ...p, variants: byProduct.get(p.id) ?? [] }));
}
