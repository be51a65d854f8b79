import { findProductPage } from '../data-access/products-repository.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { CatalogDeps } from './deps.js';
import { invalidPriceRange } from './errors.js';
import type { Product, ProductStatus } from './product.js';
import { withVariants } from './read-products.js';

export interface ProductQuery {
  q?: string | undefined;
  category?: string | undefined;
  brand?: string | undefined;
  /** Minor units; a product matches when one of its active variants is priced within the range. */
  minPrice?: number | undefined;
  maxPrice?: number | undefined;
  currency?: string | undefined;
  status: ProductStatus | 'any';
  limit: number;
  cursor?: string | undefined;
}

/**
 * One page of products, newest first, and the cursor of the next page (null on the last one).
 * Keyset pagination on (created_at, id): a walk sees every product that existed when it began
 * exactly once, however many are added meanwhile.
 */
export async function listProducts(deps: CatalogDeps, query: ProductQuery): Promise<{ items: Product[]; nextCursor: string | null }> {
  const { minPrice, maxPrice } = query;
  if (minPrice !== undefined && maxPrice !== undefined && minPrice > maxPrice) throw invalidPriceRange();
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const hasPriceFilter = minPrice !== undefined || maxPrice !== undefined || query.currency !== undefined;
  const rows = await findProductPage(deps.db, {
    status: query.status === 'any' ? undefined : query.status,
    category: query.category,
    brand: query.brand,
    text: query.q?.trim() ? query.q : undefined,
    price: hasPriceFilter ? { min: minPrice, max: maxPrice, currency: query.currency } : undefined,
    after,
    // One more than asked tells whether another page follows.
    limit: query.limit + 1,
  });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const nextCursor = rows.length > query.limit && last ? encodeCursor({ position: last.position, id: last.product.id }) : null;
  return {
    items: await withVariants(
      deps.db,
      page.map((r) => r.product),
    ),
    nextCursor,
  };
}
