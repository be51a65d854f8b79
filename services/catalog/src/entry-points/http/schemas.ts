import { type Static, Type } from 'typebox';
import { MAX_AMOUNT } from '../../domain/money.js';
import { MAX_VARIANTS } from '../../domain/product.js';

/**
 * The catalog's wire formats. Every object rejects unknown properties, so a client can never
 * set `id`, `version` or the timestamps by sending them (mass assignment → 400).
 */

const strict = { additionalProperties: false } as const;

export const ProductId = Type.String({ format: 'uuid', description: 'Product id', examples: ['0b5f7c9e-3f4a-5d21-9c1e-2a7b4c6d8e90'] });

export const Sku = Type.String({
  pattern: '^[A-Z0-9][A-Z0-9._-]{0,63}$',
  description: 'Stock keeping unit: upper-case letters, digits, dot, dash or underscore; unique across the catalog',
  examples: ['TEE-ORG-BLK-M'],
});

export const Slug = Type.String({
  pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$',
  maxLength: 120,
  description: 'URL name of the product, unique; lowercase words joined by hyphens',
  examples: ['organic-cotton-tee'],
});

export const Category = Type.String({
  pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$',
  maxLength: 60,
  description: 'Category key',
  examples: ['apparel', 'electronics', 'home', 'books'],
});

const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'Display name', examples: ['Organic Cotton Tee'] });
const Description = Type.String({ maxLength: 5_000, description: 'Plain-text description' });
const Brand = Type.String({ maxLength: 80, description: 'Brand name', examples: ['Fernweh'] });
const Status = Type.Union([Type.Literal('active'), Type.Literal('archived')], {
  description: 'active: listed and orderable; archived: kept for history, hidden from the default listing',
});

export const Money = Type.Object(
  {
    amount: Type.Integer({ minimum: 0, maximum: MAX_AMOUNT, description: 'Minor units (cents): 1999 is 19.99', examples: [1999] }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 currency code', examples: ['EUR'] }),
  },
  { ...strict, description: 'An amount of money in integer minor units, never a float' },
);

export const Attributes = Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$' }), Type.String({ minLength: 1, maxLength: 60 }), {
  ...strict,
  maxProperties: 10,
  description: 'What tells this variant apart, e.g. size and color',
  examples: [{ size: 'M', color: 'black' }],
});

// ---- responses

export const VariantView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    sku: Sku,
    attributes: Attributes,
    price: Money,
    active: Type.Boolean({ description: 'Whether the variant can be ordered' }),
  },
  strict,
);

export const ProductView = Type.Object(
  {
    id: ProductId,
    slug: Slug,
    name: Type.String(),
    description: Type.String(),
    category: Category,
    brand: Type.String(),
    status: Status,
    version: Type.Integer({
      minimum: 1,
      description: 'Changes with every change of the product or its variants; send it back as If-Match',
    }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    variants: Type.Array(VariantView),
  },
  strict,
);

export const ProductPage = Type.Object(
  {
    items: Type.Array(ProductView),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last page' }),
  },
  strict,
);

export const ProductSummary = Type.Object(
  { id: ProductId, slug: Slug, name: Type.String(), category: Category, brand: Type.String(), status: Status, version: Type.Integer() },
  strict,
);

export const SkuView = Type.Object(
  {
    sku: Sku,
    variantId: Type.String({ format: 'uuid' }),
    attributes: Attributes,
    price: Money,
    active: Type.Boolean(),
    purchasable: Type.Boolean({ description: 'The variant is active and its product is active' }),
    product: ProductSummary,
  },
  strict,
);

export const SkuBatch = Type.Object(
  {
    items: Type.Array(SkuView, { description: 'The variants found, in the order asked' }),
    unknown: Type.Array(Type.String(), { description: 'The SKUs asked for that no variant has' }),
  },
  strict,
);

export { ProblemSchema as Problem, problems } from '@emporium/service';

// ---- requests

export const ProductQuery = Type.Object(
  {
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'Words to find in name, brand or description (prefixes match)' }),
    ),
    category: Type.Optional(Category),
    brand: Type.Optional(Type.String({ minLength: 1, maxLength: 80, description: 'Exact brand, any letter case' })),
    minPrice: Type.Optional(
      Type.Integer({ minimum: 0, maximum: MAX_AMOUNT, description: 'Lowest price of an active variant, minor units' }),
    ),
    maxPrice: Type.Optional(
      Type.Integer({ minimum: 0, maximum: MAX_AMOUNT, description: 'Highest price of an active variant, minor units' }),
    ),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: 'Currency the price range is in' })),
    status: Type.Union([Type.Literal('active'), Type.Literal('archived'), Type.Literal('any')], {
      default: 'active',
      description: 'Products of this status (default active)',
    }),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size, 1 to 100' }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'nextCursor of the previous page' })),
  },
  strict,
);

export const NewVariantBody = Type.Object(
  {
    sku: Sku,
    attributes: Type.Optional(Attributes),
    price: Money,
    active: Type.Optional(Type.Boolean({ default: true })),
  },
  strict,
);

export const NewProductBody = Type.Object(
  {
    slug: Type.Optional(Slug),
    name: Name,
    description: Type.Optional(Description),
    category: Category,
    brand: Type.Optional(Brand),
    status: Type.Optional(Status),
    variants: Type.Array(NewVariantBody, { minItems: 1, maxItems: MAX_VARIANTS }),
  },
  strict,
);

export const ProductPatchBody = Type.Object(
  {
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    category: Type.Optional(Category),
    brand: Type.Optional(Brand),
    status: Type.Optional(Status),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'The version read; alternative to If-Match' })),
  },
  strict,
);

export const ProductParams = Type.Object({ id: ProductId }, strict);
export const SkuParams = Type.Object({ sku: Sku }, strict);
export const SkuBatchQuery = Type.Object(
  { sku: Type.Array(Sku, { minItems: 1, maxItems: 100, description: 'Repeat the parameter: ?sku=A&sku=B (at most 100)' }) },
  strict,
);

// ---- credentials: documented here, checked by the route's guard (access.ts) before validation.
// The catalog verifies the access token itself and trusts no other header.

/** The writer routes: a merchandiser's or an admin's access token. */
export const AdminHeaders = Type.Object({
  authorization: Type.Optional(
    Type.String({ description: '`Bearer <access token>` of a merchandiser or an admin, audience catalog. Other roles → 403 forbidden.' }),
  ),
});

/** The service-to-service routes: a client-credentials token of a service. */
export const ServiceHeaders = Type.Object({
  authorization: Type.Optional(
    Type.String({
      description:
        '`Bearer <access token>` obtained with client credentials for the resource urn:emporium:catalog, with the scope catalog:prices.',
    }),
  ),
});

export const PatchHeaders = Type.Object({
  ...AdminHeaders.properties,
  'if-match': Type.Optional(
    Type.String({ maxLength: 200, description: 'The ETag (version) read, e.g. "3"; or send `version` in the body' }),
  ),
});

export type ProductView = Static<typeof ProductView>;
export type SkuView = Static<typeof SkuView>;
export type SkuBatch = Static<typeof SkuBatch>;
