import { type Static, Type } from 'typebox';
import { ORDER_STATUSES } from '../../domain/status.js';
import { TIMELINE_STATUSES, TIMELINE_STEPS } from '../../domain/timeline.js';

/**
 * The orders service's wire formats. Every request object rejects unknown properties, so a client
 * can never set `status`, `total`, prices or `customerId` by sending them (mass assignment → 400).
 */

const strict = { additionalProperties: false } as const;

export const Sku = Type.String({
  pattern: '^[A-Z0-9][A-Z0-9._-]{0,63}$',
  description: 'Stock keeping unit as the catalog names it',
  examples: ['TEE-ORG-BLK-M'],
});

export const Money = Type.Object(
  {
    amount: Type.Integer({ minimum: 0, description: 'Minor units (cents): 1999 is 19.99' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 currency code' }),
  },
  { ...strict, description: 'An amount of money in integer minor units, never a float' },
);

export const ShippingAddress = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
    line1: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
    line2: Type.Optional(Type.String({ maxLength: 200 })),
    city: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }),
    postalCode: Type.String({ minLength: 1, maxLength: 20, pattern: '^[A-Za-z0-9][A-Za-z0-9 -]*$' }),
    country: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2, e.g. DE' }),
  },
  strict,
);

export const CheckoutBody = Type.Object(
  {
    lines: Type.Array(
      Type.Object({ sku: Sku, quantity: Type.Integer({ minimum: 1, maximum: 100, description: '1 to 100 units' }) }, strict),
      { minItems: 1, maxItems: 50, description: '1 to 50 lines, one per SKU; prices come from the catalog' },
    ),
    email: Type.String({ format: 'email', maxLength: 254, description: 'Where the confirmation goes' }),
    shippingAddress: ShippingAddress,
    paymentMethod: Type.String({
      pattern: '^[A-Za-z0-9_.:-]{1,200}$',
      description: 'A payment-method token from the payment provider (never card data), e.g. pm_card_visa',
    }),
  },
  strict,
);
export type CheckoutBody = Static<typeof CheckoutBody>;

export const CheckoutHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      description:
        'Required. A unique value per order attempt (1–255 printable characters, e.g. a UUID; a quoted Structured Field string is accepted). ' +
        'Same key and body → the stored answer again; another body → 422; while the first runs → 409. Kept at least 72 hours.',
    }),
  ),
});

export const OrderParams = Type.Object({ id: Type.String({ format: 'uuid', description: 'Order id' }) }, strict);

export const ListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size, 1 to 100' }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'nextCursor of the previous page' })),
  },
  strict,
);

// ---- responses

const Status = Type.Enum([...ORDER_STATUSES], {
  description:
    'pending → reserving (stock) → authorizing (payment) → capturing (charge and commit stock) → confirmed; ' +
    'cancelled when the checkout could not finish or the customer cancelled; cancelling while a refund runs; needs_attention when a refund was refused',
});

export const Accepted = Type.Object(
  {
    orderId: Type.String({ format: 'uuid' }),
    status: Status,
    statusUrl: Type.String({ description: 'Where to follow the order: GET it' }),
  },
  strict,
);

export const TimelineEntryView = Type.Object(
  {
    step: Type.Enum([...TIMELINE_STEPS]),
    status: Type.Enum([...TIMELINE_STATUSES]),
    at: Type.String({ format: 'date-time' }),
    detail: Type.String({ description: 'What happened, in plain words' }),
    reason: Type.Optional(Type.String({ description: 'Why, for a failure' })),
  },
  strict,
);

export const OrderView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    status: Status,
    lines: Type.Array(Type.Object({ sku: Sku, name: Type.String(), quantity: Type.Integer(), unitPrice: Money, lineTotal: Money }, strict)),
    total: Money,
    email: Type.String(),
    shippingAddress: ShippingAddress,
    refunded: Type.Boolean({ description: 'The payment was refunded' }),
    cancelReason: Type.Union([Type.String(), Type.Null()], { description: 'Why the order was (or is being) cancelled' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    timeline: Type.Array(TimelineEntryView, { description: 'Each step, oldest first' }),
  },
  strict,
);
export type OrderView = Static<typeof OrderView>;

export const OrderSummary = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    status: Status,
    total: Money,
    items: Type.Integer({ description: 'Units ordered' }),
    createdAt: Type.String({ format: 'date-time' }),
    statusUrl: Type.String(),
  },
  strict,
);
export type OrderSummary = Static<typeof OrderSummary>;

export const OrderPage = Type.Object(
  {
    items: Type.Array(OrderSummary),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last page' }),
  },
  strict,
);

export { ProblemSchema as Problem, problems } from '@emporium/service';
