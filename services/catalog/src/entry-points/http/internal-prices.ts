import type { ServiceApp } from '@emporium/service';
import type { CatalogDeps } from '../../domain/deps.js';
import { findSkus } from '../../domain/find-skus.js';
import { priceReaders } from './access.js';
import { problems, ServiceHeaders, SkuBatch, SkuBatchQuery } from './schemas.js';
import { skuBatchView } from './views.js';

/**
 * Service-to-service: the orders service prices and checks its lines here, with a
 * client-credentials token (scope `catalog:prices`). Not public: the gateway routes only
 * `/api/*` prefixes, never `/internal/*`. The answer is exactly that of the public batch lookup
 * `GET /api/catalog/skus` (views.ts `skuBatchView`); orders reads `sku`, `price`, `purchasable`,
 * `product.name` and `unknown`, so keep that shape stable.
 */
export function internalPriceRoutes(app: ServiceApp, deps: CatalogDeps): void {
  app.get(
    '/internal/catalog/prices',
    {
      onRequest: priceReaders(),
      schema: {
        tags: ['internal'],
        summary: 'Look up the prices of many SKUs (for the orders service)',
        description:
          '`?sku=A&sku=B` (1 to 100). The same answer as `GET /api/catalog/skus`. Needs a client-credentials access token for the catalog ' +
          'with the scope `catalog:prices`; not routed by the gateway.',
        headers: ServiceHeaders,
        querystring: SkuBatchQuery,
        response: {
          200: SkuBatch,
          ...problems({
            400: 'validation_failed (no sku, more than 100, or a malformed one)',
            401: 'unauthenticated (no token), invalid_token (bad, expired, or meant for another service)',
            403: 'forbidden (not a service token), insufficient_scope (no catalog:prices)',
          }),
        },
      },
    },
    async (request) => skuBatchView(await findSkus(deps, request.query.sku)),
  );
}
