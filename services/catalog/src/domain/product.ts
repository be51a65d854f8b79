import type { ProductRecord, ProductStatus, VariantRecord } from '../data-access/tables.js';
import {
  duplicateSku,
  duplicateVariant,
  emptyPatch,
  invalidSlug,
  preconditionRequired,
  tooManyVariants,
  versionConflict,
} from './errors.js';
import { type Money, money, sameMoney } from './money.js';

/**
 * The product aggregate: a product and its variants. Rules live here as plain functions over
 * plain records; every change returns the new state with the version moved on, or nothing when
 * nothing changed. Persistence and events are the use cases' business.
 */
export type { ProductStatus };
export type Variant = VariantRecord;
export type Product = ProductRecord & { variants: Variant[] };

export const MAX_VARIANTS = 100;
export const PRODUCT_STATUSES: readonly ProductStatus[] = ['active', 'archived'];

export interface NewVariant {
  sku: string;
  attributes?: Record<string, string> | undefined;
  price: Money;
  active?: boolean | undefined;
}

export interface NewProduct {
  slug?: string | undefined;
  name: string;
  description?: string | undefined;
  category: string;
  brand?: string | undefined;
  status?: ProductStatus | undefined;
  variants: NewVariant[];
}

export interface ProductChanges {
  name?: string | undefined;
  description?: string | undefined;
  category?: string | undefined;
  brand?: string | undefined;
  status?: ProductStatus | undefined;
}

/** The version the writer read: from If-Match (a list of versions, or `*`) and/or the body. */
export interface ExpectedVersion {
  ifMatch?: number[] | '*' | undefined;
  body?: number | undefined;
}

export interface Ids {
  newId(): string;
  now: Date;
}

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** "Linen Shirt — Sand (Men's)" → "linen-shirt-sand-men-s" (accents dropped, at most 120 characters). */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 120)
    .replace(/-+$/, '');
}

const attributesKey = (attributes: Record<string, string>) =>
  JSON.stringify(
    Object.entries(attributes)
      .map(([k, v]) => [k, v.trim().toLowerCase()])
      .sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0)),
  );

/** Two variants of a product must differ in SKU and in attributes, and a product has 1..MAX_VARIANTS of them. */
function checkVariants(variants: { sku: string; attributes: Record<string, string> }[]): void {
  if (variants.length > MAX_VARIANTS) throw tooManyVariants(MAX_VARIANTS);
  const skus = new Set<string>();
  const kinds = new Set<string>();
  for (const v of variants) {
    if (skus.has(v.sku)) throw duplicateSku(v.sku);
    skus.add(v.sku);
    const key = attributesKey(v.attributes);
    if (kinds.has(key)) throw duplicateVariant(v.sku);
    kinds.add(key);
  }
}

function variantOf(productId: string, position: number, input: NewVariant, ids: Ids): Variant {
  return {
    id: ids.newId(),
    productId,
    sku: input.sku,
    position,
    attributes: { ...(input.attributes ?? {}) },
    price: money(input.price.amount, input.price.currency),
    active: input.active ?? true,
    createdAt: ids.now,
    updatedAt: ids.now,
  };
}

/** A new product at version 1, its slug taken from the name when none is given. */
export function newProduct(input: NewProduct, ids: Ids): Product {
  const slug = input.slug ?? slugify(input.name);
  if (!SLUG.test(slug)) throw invalidSlug();
  const id = ids.newId();
  const variants = input.variants.map((v, i) => variantOf(id, i + 1, v, ids));
  checkVariants(variants);
  return {
    id,
    slug,
    name: input.name.trim(),
    description: (input.description ?? '').trim(),
    category: input.category,
    brand: (input.brand ?? '').trim(),
    status: input.status ?? 'active',
    version: 1,
    createdAt: ids.now,
    updatedAt: ids.now,
    variants,
  };
}

/**
 * Optimistic concurrency: the writer must say which version it read, and it must still be the
 * current one. `*` in If-Match only asks that the product exists (RFC 9110 §13.1.1).
 */
export function checkExpectedVersion(product: ProductRecord, expected: ExpectedVersion): void {
  if (expected.ifMatch === undefined && expected.body === undefined) throw preconditionRequired();
  if (expected.ifMatch !== undefined && expected.ifMatch !== '*' && !expected.ifMatch.includes(product.version)) {
    throw versionConflict(product.version, 'if-match');
  }
  if (expected.body !== undefined && expected.body !== product.version) throw versionConflict(product.version, 'body');
}

/** A new version of the product: bumped version, fresh updated_at. */
export const touched = <P extends ProductRecord>(product: P, now: Date): P => ({
  ...product,
  version: product.version + 1,
  updatedAt: now,
});

/** The product with the given fields changed, or undefined when every given value is already the current one. */
export function withChanges(product: ProductRecord, changes: ProductChanges, now: Date): ProductRecord | undefined {
  const given = Object.entries(changes).filter(([, v]) => v !== undefined) as [keyof ProductChanges, string][];
  if (given.length === 0) throw emptyPatch();
  const next: ProductRecord = { ...product };
  let changed = false;
  for (const [field, raw] of given) {
    const value = field === 'category' || field === 'status' ? raw : raw.trim();
    if (next[field] !== value) {
      (next as unknown as Record<string, string>)[field] = value;
      changed = true;
    }
  }
  return changed ? touched(next, now) : undefined;
}

/** A further variant for the product, after the existing ones. */
export function withNewVariant(product: Product, input: NewVariant, ids: Ids): { product: Product; variant: Variant } {
  const position = Math.max(0, ...product.variants.map((v) => v.position)) + 1;
  const variant = variantOf(product.id, position, input, ids);
  const variants = [...product.variants, variant];
  checkVariants(variants);
  return { product: { ...touched(product, ids.now), variants }, variant };
}

/** The variant at its new price, or undefined when the price is already that (PUT is idempotent). */
export function repriced(variant: Variant, price: Money, now: Date): Variant | undefined {
  const next = money(price.amount, price.currency);
  if (sameMoney(variant.price, next)) return undefined;
  return { ...variant, price: next, updatedAt: now };
}

/** Whether an order may be placed for the variant now. */
export const isPurchasable = (product: ProductRecord, variant: Variant) => product.status === 'active' && variant.active;
