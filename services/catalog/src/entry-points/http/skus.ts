import type { ServiceApp } from '@emporium/service';
import type { CatalogDeps } from '../../domain/deps.js';
import { findSkus } from '../../domain/find-skus.js';
import { getSku } from '../../domain/get-sku.js';
import { setPrice } from '../../domain/set-price.js';
import { catalogWriters } from './access.js';
import { AdminHeaders, Money, problems, SkuBatch, SkuBatchQuery, SkuParams, SkuView } from './schemas.js';
import { skuBatchView, skuView } from './views.js';

/** Lookups by SKU (public) and price changes (writers). */
export function skuRoutes(app: ServiceApp, deps: CatalogDeps): void {
  app.get(
    '/api/catalog/skus',
    {
      schema: {
        tags: ['skus'],
        summary: 'Look up many SKUs at once',
        description:
          'Public: `?sku=A&sku=B` (at most 100). Answers the variants found and lists the SKUs nobody has. ' +
          'The orders service reads the same answer at /internal/catalog/prices.',
        querystring: SkuBatchQuery,
        response: { 200: SkuBatch, ...problems({ 400: 'validation_failed (no sku, more than 100, or a malformed one)' }) },
      },
    },
    async (request) => skuBatchView(await findSkus(deps, request.query.sku)),
  );

  app.get(
    '/api/catalog/skus/:sku',
    {
      schema: {
        tags: ['skus'],
        summary: 'Read one variant by SKU, with its price and product',
        params: SkuParams,
        response: { 200: SkuView, ...problems({ 400: 'validation_failed: malformed SKU', 404: 'sku_not_found' }) },
      },
    },
    async (request) => skuView(await getSku(deps, request.params.sku)),
  );

  app.put(
    '/api/catalog/skus/:sku/price',
    {
      onRequest: catalogWriters(),
      schema: {
        tags: ['admin'],
        summary: 'Set the price of a SKU',
        description:
          'Emits catalog.price.changed.v1 with the old and the new price, and keeps the price history. Setting the current price again changes nothing.',
        headers: AdminHeaders,
        params: SkuParams,
        body: Money,
        response: {
          200: SkuView,
          ...problems({
            400: 'validation_failed (e.g. a fractional amount)',
            401: 'unauthenticated (no token), invalid_token',
            403: 'forbidden (not a merchandiser or admin, or suspended)',
            404: 'sku_not_found',
            422: 'unsupported_currency',
          }),
        },
      },
    },
    async (request) => skuView(await setPrice(deps, request.params.sku, request.body)),
  );
}
