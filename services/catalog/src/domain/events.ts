import { CatalogPriceChangedV1, CatalogProductCreatedV1, CatalogVariantAddedV1 } from '@emporium/contracts';
import { createEnvelope, type Envelope } from '@emporium/messaging';
import type { Money } from './money.js';
import type { Product, Variant } from './product.js';

/** The `source` of every catalog message. */
export const SOURCE = 'catalog';

const variantData = (v: Variant) => ({
  variantId: v.id,
  sku: v.sku,
  attributes: v.attributes,
  price: { amount: v.price.amount, currency: v.price.currency },
  active: v.active,
});

export function productCreated(product: Product, id?: string): Envelope {
  return createEnvelope(
    CatalogProductCreatedV1,
    {
      productId: product.id,
      slug: product.slug,
      name: product.name,
      category: product.category,
      brand: product.brand,
      status: product.status,
      variants: product.variants.map(variantData),
      createdAt: product.createdAt.toISOString(),
    },
    { source: SOURCE, subject: product.id, time: product.createdAt, ...(id ? { id } : {}) },
  );
}

export function variantAdded(variant: Variant): Envelope {
  return createEnvelope(
    CatalogVariantAddedV1,
    { productId: variant.productId, variant: variantData(variant), addedAt: variant.createdAt.toISOString() },
    { source: SOURCE, subject: variant.productId, time: variant.createdAt },
  );
}

export function priceChanged(before: Money, after: Variant): Envelope {
  return createEnvelope(
    CatalogPriceChangedV1,
    {
      productId: after.productId,
      variantId: after.id,
      sku: after.sku,
      oldPrice: { amount: before.amount, currency: before.currency },
      newPrice: { amount: after.price.amount, currency: after.price.currency },
      changedAt: after.updatedAt.toISOString(),
    },
    { source: SOURCE, subject: after.productId, time: after.updatedAt },
  );
}
