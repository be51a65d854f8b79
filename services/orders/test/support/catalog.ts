import { randomUUID } from 'node:crypto';
import type { StandIn } from '@emporium/testing';

/** A SKU as the stand-in catalog sells it. */
export interface Listed {
  sku: string;
  price?: number;
  currency?: string;
  name?: string;
  purchasable?: boolean;
}

/**
 * Scripts the stand-in catalog (a real HTTP server on port 0) to answer the next batch lookups
 * with these SKUs, in the shape of the catalog's `GET /api/catalog/skus` (services/catalog skus.ts).
 */
export function catalogSells(catalog: StandIn, listed: Listed[], unknown: string[] = []): void {
  const items = listed.map((l) => {
    const productId = randomUUID();
    return {
      sku: l.sku,
      variantId: randomUUID(),
      attributes: {},
      price: { amount: l.price ?? 1_000, currency: l.currency ?? 'EUR' },
      active: l.purchasable ?? true,
      purchasable: l.purchasable ?? true,
      product: {
        id: productId,
        slug: `p-${productId.slice(0, 8)}`,
        name: l.name ?? `Product ${l.sku}`,
        category: 'home',
        brand: 'Test',
        status: 'active',
        version: 1,
      },
    };
  });
  catalog.answer({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items, unknown }) });
}

/** The catalog answers 503 to everything (down). */
export function catalogDown(catalog: StandIn): void {
  catalog.answer({ status: 503, headers: { 'content-type': 'application/problem+json' }, body: '{"code":"database_unavailable"}' });
}
