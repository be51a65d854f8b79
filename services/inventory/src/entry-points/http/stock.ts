import type { ServiceApp } from '@emporium/service';
import type { InventoryDeps } from '../../domain/deps.js';
import { findSkuLevels, getSkuLevels } from '../../domain/get-levels.js';
import { recordReceipt } from '../../domain/record-receipt.js';
import { setStock } from '../../domain/set-stock.js';
import { stockReaders, stockWriters } from './access.js';
import {
  ReceiptBody,
  ReceiptView,
  problems,
  SetStockBody,
  SkuBatchQuery,
  SkuLevelsBatch,
  SkuLevelsView,
  SkuLocationParams,
  SkuParams,
  StaffHeaders,
} from './schemas.js';
import { receiptView, skuLevelsView } from './views.js';

/** Stock levels: read by staff, changed by merchandisers and admins (src/policy.ts; guards in access.ts). */
export function stockRoutes(app: ServiceApp, deps: InventoryDeps): void {
  const readers = stockReaders();
  const writers = stockWriters();

  app.get(
    '/api/inventory/skus',
    {
      onRequest: readers,
      schema: {
        tags: ['stock'],
        summary: 'Read the stock of many SKUs at once',
        description: '`?sku=A&sku=B` (at most 100). Answers the SKUs found, per location, and lists those with no stock kept.',
        headers: StaffHeaders,
        querystring: SkuBatchQuery,
        response: {
          200: SkuLevelsBatch,
          ...problems({
            400: 'validation_failed (no sku, more than 100, or a malformed one)',
            401: 'unauthenticated (no token), invalid_token',
            403: 'forbidden',
          }),
        },
      },
    },
    async (request) => {
      const { found, unknown } = await findSkuLevels(deps, request.query.sku);
      return { items: found.map(skuLevelsView), unknown };
    },
  );

  app.get(
    '/api/inventory/skus/:sku',
    {
      onRequest: readers,
      schema: {
        tags: ['stock'],
        summary: 'Read the stock of one SKU, per location',
        headers: StaffHeaders,
        params: SkuParams,
        response: {
          200: SkuLevelsView,
          ...problems({
            400: 'validation_failed: malformed SKU',
            401: 'unauthenticated (no token), invalid_token',
            403: 'forbidden',
            404: 'sku_not_found',
          }),
        },
      },
    },
    async (request) => skuLevelsView(await getSkuLevels(deps, request.params.sku)),
  );

  app.put(
    '/api/inventory/skus/:sku/locations/:location',
    {
      onRequest: writers,
      schema: {
        tags: ['admin'],
        summary: 'Set the units on hand of a SKU at a location (a stock count)',
        description:
          'Creates the location when it is new. The difference is journalled as an adjustment; setting the current value again changes nothing. ' +
          'Emits inventory.sku.out_of_stock.v1 / inventory.sku.back_in_stock.v1 when the available units cross zero.',
        headers: StaffHeaders,
        params: SkuLocationParams,
        body: SetStockBody,
        response: {
          200: SkuLevelsView,
          ...problems({
            400: 'validation_failed (e.g. a negative or fractional onHand)',
            401: 'unauthenticated (no token), invalid_token',
            403: 'forbidden',
            409: 'below_reserved: fewer units than are reserved there',
          }),
        },
      },
    },
    async (request) => skuLevelsView(await setStock(deps, request.params.sku, request.params.location, request.body.onHand)),
  );

  app.post(
    '/api/inventory/skus/:sku/receipts',
    {
      onRequest: writers,
      schema: {
        tags: ['admin'],
        summary: 'Receive units at a location, or write some off',
        description:
          'A positive quantity is a receipt, a negative one an adjustment. Idempotent by `reference` within the SKU: the same request again ' +
          'answers 200 with `replayed: true` and changes nothing; the same reference with another location, quantity or reason → 422.',
        headers: StaffHeaders,
        params: SkuParams,
        body: ReceiptBody,
        response: {
          200: ReceiptView,
          201: ReceiptView,
          ...problems({
            400: 'validation_failed (e.g. quantity 0, unknown properties)',
            401: 'unauthenticated (no token), invalid_token',
            403: 'forbidden',
            409: 'below_reserved: the write-off would leave fewer units than are reserved (or below zero)',
            422: 'reference_reused',
          }),
        },
      },
    },
    async (request, reply) => {
      const result = await recordReceipt(deps, request.params.sku, request.body);
      return reply.status(result.replayed ? 200 : 201).send(receiptView(result));
    },
  );
}
