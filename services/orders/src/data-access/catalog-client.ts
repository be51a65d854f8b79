import { createHttpClient, type HttpClientLogger, type HttpClientMetrics, UpstreamError } from '@emporium/http-client';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { CatalogPrices, CatalogSku } from '../domain/deps.js';

/**
 * The catalog's batch lookup, as far as orders reads it (services/catalog skus.ts, SkuBatch).
 * Extra properties are allowed: the catalog may add fields without breaking checkout.
 */
const SkuBatchAnswer = Type.Object({
  items: Type.Array(
    Type.Object({
      sku: Type.String(),
      price: Type.Object({ amount: Type.Integer({ minimum: 0 }), currency: Type.String({ pattern: '^[A-Z]{3}$' }) }),
      purchasable: Type.Boolean(),
      product: Type.Object({ name: Type.String() }),
    }),
  ),
  unknown: Type.Array(Type.String()),
});
const checkAnswer = Compile(SkuBatchAnswer);

export interface CatalogClientOptions {
  baseUrl: string;
  timeoutMs: number;
  maxAttempts: number;
  breakerFailures: number;
  breakerHalfOpenAfterMs: number;
  metrics?: HttpClientMetrics;
  logger?: HttpClientLogger;
}

/** Prices over HTTP: a GET, so retried when the catalog is briefly away; 503/504 when it stays away. */
export function catalogPricesOverHttp(options: CatalogClientOptions): CatalogPrices {
  const client = createHttpClient({
    name: 'catalog',
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs,
    retry: { maxAttempts: options.maxAttempts, initialDelayMs: 50, maxDelayMs: 500 },
    breaker: { consecutiveFailures: options.breakerFailures, halfOpenAfterMs: options.breakerHalfOpenAfterMs },
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return {
    async lookUp(skus, requestId) {
      const query = skus.map((s) => `sku=${encodeURIComponent(s)}`).join('&');
      const res = await client.request({ path: `/api/catalog/skus?${query}`, ...(requestId ? { requestId } : {}) });
      if (res.status !== 200) throw new UpstreamError('catalog', 'upstream_unavailable');
      let body: unknown;
      try {
        body = res.json();
      } catch (error) {
        throw new UpstreamError('catalog', 'upstream_unavailable', error);
      }
      if (!checkAnswer.Check(body)) throw new UpstreamError('catalog', 'upstream_unavailable');
      const items: CatalogSku[] = body.items.map((i) => ({ sku: i.sku, name: i.product.name, price: i.price, purchasable: i.purchasable }));
      return { items, unknown: body.unknown };
    },
  };
}
