import type { ServiceTokens } from '@emporium/auth';
import { createHttpClient, type HttpClientLogger, type HttpClientMetrics, type HttpResponse, UpstreamError } from '@emporium/http-client';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { CatalogPrices, CatalogSku } from '../domain/deps.js';

/**
 * The catalog's batch lookup for services, as far as orders reads it (`GET /internal/catalog/prices`,
 * the same JSON as `GET /api/catalog/skus`: services/catalog skus.ts, SkuBatch). Extra properties
 * are allowed: the catalog may add fields without breaking checkout.
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

/** The catalog's audience (its service name, resource indicator urn:emporium:catalog) and the one scope orders needs there. */
export const CATALOG_AUDIENCE = 'catalog';
export const CATALOG_PRICES_SCOPE = 'catalog:prices';

export interface CatalogClientOptions {
  baseUrl: string;
  /** Client-credentials tokens of orders at the issuer (platform/auth service-tokens.ts). */
  tokens: ServiceTokens;
  timeoutMs: number;
  maxAttempts: number;
  breakerFailures: number;
  breakerHalfOpenAfterMs: number;
  metrics?: HttpClientMetrics;
  logger?: HttpClientLogger;
}

/**
 * Prices over HTTP: a GET, so retried when the catalog is briefly away; 503/504 when it stays away.
 * Every call carries orders' own access token for the catalog (client credentials, scope
 * catalog:prices; cached until shortly before it expires). A 401 means the catalog no longer
 * accepts that token (revoked, or signed by a key it does not know yet): it is forgotten and the
 * call made once more with a fresh one. No token to be had (the issuer down or refusing) is an
 * upstream failure like the catalog being down: 503, and the checkout stores nothing.
 */
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
  const scopes = [CATALOG_PRICES_SCOPE];

  async function accessToken(): Promise<string> {
    try {
      return await options.tokens.tokenFor(CATALOG_AUDIENCE, scopes);
    } catch (error) {
      // ServiceTokenError says what the token endpoint answered (an OAuth error code), never the secret.
      options.logger?.warn({ err: error }, 'no access token for the catalog: the token endpoint failed');
      throw new UpstreamError('identity', 'upstream_unavailable', error);
    }
  }

  const ask = async (path: string, requestId: string | undefined): Promise<HttpResponse> =>
    client.request({ path, headers: { authorization: `Bearer ${await accessToken()}` }, ...(requestId ? { requestId } : {}) });

  return {
    async lookUp(skus, requestId) {
      const path = `/internal/catalog/prices?${skus.map((s) => `sku=${encodeURIComponent(s)}`).join('&')}`;
      let res = await ask(path, requestId);
      if (res.status === 401) {
        options.tokens.forget(CATALOG_AUDIENCE, scopes);
        res = await ask(path, requestId);
      }
      if (res.status !== 200) {
        // 401 again or 403 (a scope missing): a configuration fault between orders, identity and catalog, not the customer's.
        if (res.status === 401 || res.status === 403)
          options.logger?.warn({ status: res.status, code: problemCodeOf(res) }, 'the catalog refused orders’ access token');
        throw new UpstreamError('catalog', 'upstream_unavailable');
      }
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

function problemCodeOf(res: HttpResponse): string | undefined {
  try {
    const body = res.json() as { code?: unknown };
    return typeof body.code === 'string' ? body.code : undefined;
  } catch {
    return undefined;
  }
}
