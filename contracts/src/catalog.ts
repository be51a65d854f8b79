import { defineMessage } from '@emporium/messaging';
import { type Static, Type } from 'typebox';

/**
 * Events the catalog publishes. A type name carries its version; a breaking change is a new
 * type (`….v2`) published beside the old one until every consumer has moved.
 */

/** An amount of money: integer minor units (cents) of an ISO 4217 currency — never a float. */
export const MoneyV1 = Type.Object(
  {
    amount: Type.Integer({ minimum: 0, description: 'Minor units of the currency, e.g. 1999 for 19.99' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, e.g. EUR' }),
  },
  { additionalProperties: false },
);
export type MoneyV1 = Static<typeof MoneyV1>;

const VariantV1 = Type.Object(
  {
    variantId: Type.String({ format: 'uuid' }),
    sku: Type.String({ minLength: 1 }),
    attributes: Type.Record(Type.String(), Type.String()),
    price: MoneyV1,
    active: Type.Boolean(),
  },
  { additionalProperties: false },
);

/** A product entered the catalog with its first variants (subject: the product id). */
export const CatalogProductCreatedV1 = defineMessage(
  'catalog.product.created.v1',
  Type.Object(
    {
      productId: Type.String({ format: 'uuid' }),
      slug: Type.String({ minLength: 1 }),
      name: Type.String({ minLength: 1 }),
      category: Type.String({ minLength: 1 }),
      brand: Type.String(),
      status: Type.Union([Type.Literal('active'), Type.Literal('archived')]),
      variants: Type.Array(VariantV1, { minItems: 1 }),
      createdAt: Type.String({ format: 'date-time' }),
    },
    { additionalProperties: false },
  ),
);
export type CatalogProductCreatedV1 = Static<typeof CatalogProductCreatedV1.schema>;

/** A variant was added to an existing product (subject: the product id). */
export const CatalogVariantAddedV1 = defineMessage(
  'catalog.variant.added.v1',
  Type.Object(
    {
      productId: Type.String({ format: 'uuid' }),
      variant: VariantV1,
      addedAt: Type.String({ format: 'date-time' }),
    },
    { additionalProperties: false },
  ),
);
export type CatalogVariantAddedV1 = Static<typeof CatalogVariantAddedV1.schema>;

/** The price of one SKU changed, with the price before and after (subject: the product id). */
export const CatalogPriceChangedV1 = defineMessage(
  'catalog.price.changed.v1',
  Type.Object(
    {
      productId: Type.String({ format: 'uuid' }),
      variantId: Type.String({ format: 'uuid' }),
      sku: Type.String({ minLength: 1 }),
      oldPrice: MoneyV1,
      newPrice: MoneyV1,
      changedAt: Type.String({ format: 'date-time' }),
    },
    { additionalProperties: false },
  ),
);
export type CatalogPriceChangedV1 = Static<typeof CatalogPriceChangedV1.schema>;
