import type { ServiceApp } from '@emporium/service';
import type { CatalogDeps } from '../../domain/deps.js';
import { getProduct } from '../../domain/get-product.js';
import { listProducts } from '../../domain/list-products.js';
import { ProductPage, ProductParams, ProductQuery, ProductView, problems } from './schemas.js';
import { etagOf, productView } from './views.js';

/** Browse and search: public, read-only. */
export function productRoutes(app: ServiceApp, deps: CatalogDeps): void {
  app.get(
    '/api/catalog/products',
    {
      schema: {
        tags: ['products'],
        summary: 'List and search products',
        description:
          'Products newest first, with their variants, one page at a time: follow `nextCursor` until it is null. ' +
          '`q` matches words (and word prefixes) of name, brand and description; the price range matches products with an active variant priced within it.',
        querystring: ProductQuery,
        response: {
          200: ProductPage,
          ...problems({ 400: 'validation_failed (e.g. limit outside 1..100), invalid_cursor, invalid_price_range' }),
        },
      },
    },
    async (request) => {
      const page = await listProducts(deps, request.query);
      return { items: page.items.map(productView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/catalog/products/:id',
    {
      schema: {
        tags: ['products'],
        summary: 'Read one product with its variants',
        description: 'The ETag header carries the version, to send back as If-Match when changing the product.',
        params: ProductParams,
        response: { 200: ProductView, ...problems({ 400: 'validation_failed: the id is not a UUID', 404: 'product_not_found' }) },
      },
    },
    async (request, reply) => {
      const product = await getProduct(deps, request.params.id);
      reply.header('etag', etagOf(product.version));
      return productView(product);
    },
  );
}
