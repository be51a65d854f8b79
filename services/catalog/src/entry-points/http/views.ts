import type { SkuMatch } from '../../domain/get-sku.js';
import type { Product, Variant } from '../../domain/product.js';
import type { ProductView, SkuBatch, SkuView } from './schemas.js';

const variantView = (v: Variant) => ({
  id: v.id,
  sku: v.sku,
  attributes: v.attributes,
  price: { amount: v.price.amount, currency: v.price.currency },
  active: v.active,
});

export const productView = (p: Product): ProductView => ({
  id: p.id,
  slug: p.slug,
  name: p.name,
  description: p.description,
  category: p.category,
  brand: p.brand,
  status: p.status,
  version: p.version,
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
  variants: p.variants.map(variantView),
});

export const skuView = ({ product, variant, purchasable }: SkuMatch): SkuView => ({
  sku: variant.sku,
  variantId: variant.id,
  attributes: variant.attributes,
  price: { amount: variant.price.amount, currency: variant.price.currency },
  active: variant.active,
  purchasable,
  product: {
    id: product.id,
    slug: product.slug,
    name: product.name,
    category: product.category,
    brand: product.brand,
    status: product.status,
    version: product.version,
  },
});

/** A batch lookup's answer: the public `GET /api/catalog/skus` and the orders service's `GET /internal/catalog/prices` answer the same. */
export const skuBatchView = ({ found, unknown }: { found: SkuMatch[]; unknown: string[] }): SkuBatch => ({
  items: found.map(skuView),
  unknown,
});

/** A strong entity tag of the product's version (RFC 9110 §8.8.3). */
export const etagOf = (version: number) => `"${version}"`;
