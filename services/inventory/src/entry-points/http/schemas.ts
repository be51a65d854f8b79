import { type Static, Type } from 'typebox';

/**
 * The inventory's wire formats. Every object rejects unknown properties (mass assignment → 400):
 * a client can never set `reserved` or a reservation's state.
 */

const strict = { additionalProperties: false } as const;

/** At most this many units in one row or one change. */
export const MAX_UNITS = 1_000_000_000;
const MAX_CHANGE = 1_000_000;

export const Sku = Type.String({
  pattern: '^[A-Z0-9][A-Z0-9._-]{0,63}$',
  description: "Stock keeping unit, as the catalog's (upper-case letters, digits, dot, dash, underscore)",
  examples: ['TEE-ORG-BLK-M'],
});

export const Location = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
  description: 'Where the units are: a warehouse, store or bin key',
  examples: ['berlin-1'],
});

const Units = (description: string) => Type.Integer({ minimum: 0, description });

export const LocationLevelView = Type.Object(
  {
    location: Location,
    onHand: Units('Units physically there'),
    reserved: Units('Units held for orders not yet committed'),
    available: Units('onHand − reserved: what a new order can reserve'),
  },
  strict,
);

export const SkuLevelsView = Type.Object(
  {
    sku: Sku,
    onHand: Units('Over every location'),
    reserved: Units('Over every location'),
    available: Units('Over every location'),
    locations: Type.Array(LocationLevelView, { description: 'By location name' }),
  },
  strict,
);

export const SkuLevelsBatch = Type.Object(
  {
    items: Type.Array(SkuLevelsView, { description: 'The SKUs found, in the order asked' }),
    unknown: Type.Array(Type.String(), { description: 'The SKUs asked for that the inventory keeps no stock for' }),
  },
  strict,
);

export const SetStockBody = Type.Object(
  { onHand: Type.Integer({ minimum: 0, maximum: MAX_UNITS, description: 'The units counted there; not below the units reserved' }) },
  strict,
);

export const ReceiptBody = Type.Object(
  {
    location: Location,
    quantity: Type.Union([Type.Integer({ minimum: 1, maximum: MAX_CHANGE }), Type.Integer({ minimum: -MAX_CHANGE, maximum: -1 })], {
      description: 'Units received (positive) or written off (negative: damaged, lost, counted short); never 0',
    }),
    reference: Type.String({
      minLength: 1,
      maxLength: 100,
      pattern: '^\\S(.*\\S)?$',
      description: 'Your reference (delivery note, count sheet): sending the same receipt again changes nothing',
      examples: ['PO-2025-0042'],
    }),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Why, in plain words' })),
  },
  strict,
);

export const ReceiptView = Type.Object(
  {
    sku: Sku,
    reference: Type.String(),
    location: Location,
    quantity: Type.Integer(),
    reason: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    replayed: Type.Boolean({ description: 'True when this reference was recorded before: nothing changed now' }),
    levels: SkuLevelsView,
  },
  strict,
);

const Line = Type.Object({ sku: Type.String(), quantity: Type.Integer({ minimum: 1 }) }, strict);

export const ReservationView = Type.Object(
  {
    orderId: Type.String({ format: 'uuid' }),
    status: Type.Union(
      [Type.Literal('reserved'), Type.Literal('committed'), Type.Literal('released'), Type.Literal('expired'), Type.Literal('failed')],
      {
        description:
          'reserved: units held until expiresAt; committed: sold; released: given back on request; expired: given back at the deadline; failed: nothing could be reserved',
      },
    ),
    lines: Type.Array(Line, { description: 'As the order asked for them' }),
    allocations: Type.Array(Type.Object({ sku: Type.String(), location: Location, quantity: Type.Integer({ minimum: 1 }) }, strict), {
      description: 'Where the units are (or were last) held',
    }),
    expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    failure: Type.Union([
      Type.Object(
        {
          reason: Type.Union([Type.Literal('out_of_stock'), Type.Literal('unknown_sku')]),
          shortages: Type.Array(Type.Object({ sku: Type.String(), requested: Type.Integer(), available: Type.Integer() }, strict)),
        },
        strict,
      ),
      Type.Null(),
    ]),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    committedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    releasedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  strict,
);

export const SkuParams = Type.Object({ sku: Sku }, strict);
export const SkuLocationParams = Type.Object({ sku: Sku, location: Location }, strict);
export const OrderParams = Type.Object({ orderId: Type.String({ format: 'uuid' }) }, strict);
export const SkuBatchQuery = Type.Object(
  { sku: Type.Array(Sku, { minItems: 1, maxItems: 100, description: 'Repeat the parameter: ?sku=A&sku=B (at most 100)' }) },
  strict,
);

/** The caller's credentials, documented here; checked by the route's guard (access.ts), which runs before validation. */
export const StaffHeaders = Type.Object({
  authorization: Type.Optional(
    Type.String({
      description:
        '`Bearer <access token>` from identity, audience inventory: support may read; merchandisers and admins may read and change stock. ' +
        'Without it → 401 unauthenticated; another role → 403 forbidden.',
    }),
  ),
});

export { ProblemSchema as Problem, problems } from '@emporium/service';

export type SkuLevelsView = Static<typeof SkuLevelsView>;
export type ReceiptView = Static<typeof ReceiptView>;
export type ReservationView = Static<typeof ReservationView>;
