import { inTransaction } from '@emporium/db';
import { lockProductForUpdate, saveProduct } from '../data-access/products-repository.js';
import type { CatalogDeps } from './deps.js';
import { productNotFound } from './errors.js';
import { checkExpectedVersion, type ExpectedVersion, type Product, type ProductChanges, withChanges } from './product.js';
import { withVariants } from './read-products.js';

/**
 * Changes a product's descriptive fields and status, provided it is still at the version the
 * writer read (optimistic concurrency; the row lock orders concurrent writers). Setting values
 * that are already current changes nothing and keeps the version.
 */
export async function updateProduct(deps: CatalogDeps, id: string, changes: ProductChanges, expected: ExpectedVersion): Promise<Product> {
  return inTransaction(deps.db, async (trx) => {
    const current = await lockProductForUpdate(trx, id);
    if (!current) throw productNotFound(id);
    checkExpectedVersion(current, expected);
    const next = withChanges(current, changes, deps.now());
    if (next) await saveProduct(trx, next);
    const [product] = await withVariants(trx, [next ?? current]);
    return product!;
  });
}
