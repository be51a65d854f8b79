import { findProductById } from '../data-access/products-repository.js';
import type { CatalogDeps } from './deps.js';
import { productNotFound } from './errors.js';
import type { Product } from './product.js';
import { withVariants } from './read-products.js';

export async function getProduct(deps: CatalogDeps, id: string): Promise<Product> {
  const record = await findProductById(deps.db, id);
  if (!record) throw productNotFound(id);
  const [product] = await withVariants(deps.db, [record]);
  return product!;
}
