import { defineMessage } from '@emporium/messaging';
import { Type } from 'typebox';
import { MoneyV1 } from './catalog.js';

/**
 * The checkout saga's messages (DESIGN.md, Checkout saga). Orders orchestrates: it sends
 * commands (`<service>.<thing>.<verb>.requested.v1`) and the services answer with events. Every
 * message carries the order id and its subject is the order id, so each step is keyed by order:
 * replaying any message is harmless, and a late or repeated reply is recognised and ignored.
 */

const OrderId = Type.String({ format: 'uuid' });
const Sku = Type.String({ minLength: 1, maxLength: 64 });
const Reason = Type.String({ minLength: 1, maxLength: 500, description: 'Plain words a customer can read' });

const LineV1 = Type.Object({ sku: Sku, quantity: Type.Integer({ minimum: 1, maximum: 1000 }) }, { additionalProperties: false });

// ── inventory ────────────────────────────────────────────────────────────────────────────

/** Reserve every line for the order, all or nothing; the reservation expires at `expiresAt` unless committed. */
export const InventoryReserveRequestedV1 = defineMessage(
  'inventory.reserve.requested.v1',
  Type.Object(
    { orderId: OrderId, lines: Type.Array(LineV1, { minItems: 1, maxItems: 100 }), expiresAt: Type.String({ format: 'date-time' }) },
    { additionalProperties: false },
  ),
);
export const InventoryReservationSucceededV1 = defineMessage(
  'inventory.reservation.succeeded.v1',
  Type.Object(
    { orderId: OrderId, lines: Type.Array(LineV1), expiresAt: Type.String({ format: 'date-time' }) },
    { additionalProperties: false },
  ),
);
export const InventoryReservationFailedV1 = defineMessage(
  'inventory.reservation.failed.v1',
  Type.Object(
    {
      orderId: OrderId,
      reason: Type.Union([Type.Literal('out_of_stock'), Type.Literal('unknown_sku')]),
      /** The lines that could not be reserved, with what was available. */
      shortages: Type.Array(
        Type.Object({ sku: Sku, requested: Type.Integer(), available: Type.Integer() }, { additionalProperties: false }),
      ),
    },
    { additionalProperties: false },
  ),
);
/** Turn the order's reservation into a sale: on hand goes down (the pivot, with the capture). */
export const InventoryCommitRequestedV1 = defineMessage(
  'inventory.commit.requested.v1',
  Type.Object({ orderId: OrderId }, { additionalProperties: false }),
);
export const InventoryReservationCommittedV1 = defineMessage(
  'inventory.reservation.committed.v1',
  Type.Object({ orderId: OrderId, lines: Type.Array(LineV1) }, { additionalProperties: false }),
);
/** Compensation: give the reserved units back. Harmless if nothing is reserved for the order. */
export const InventoryReleaseRequestedV1 = defineMessage(
  'inventory.release.requested.v1',
  Type.Object({ orderId: OrderId, reason: Reason }, { additionalProperties: false }),
);
export const InventoryReservationReleasedV1 = defineMessage(
  'inventory.reservation.released.v1',
  Type.Object(
    { orderId: OrderId, reason: Type.Union([Type.Literal('requested'), Type.Literal('expired')]), lines: Type.Array(LineV1) },
    { additionalProperties: false },
  ),
);
export const InventorySkuOutOfStockV1 = defineMessage(
  'inventory.sku.out_of_stock.v1',
  Type.Object({ sku: Sku }, { additionalProperties: false }),
);
export const InventorySkuBackInStockV1 = defineMessage(
  'inventory.sku.back_in_stock.v1',
  Type.Object({ sku: Sku, available: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
);

// ── payments ─────────────────────────────────────────────────────────────────────────────

/**
 * Authorize (not yet capture) the order's total. `paymentMethod` is a token from the payment
 * provider (never card data); it must not be logged.
 */
export const PaymentsAuthorizeRequestedV1 = defineMessage(
  'payments.authorize.requested.v1',
  Type.Object(
    {
      orderId: OrderId,
      customerId: Type.String({ minLength: 1 }),
      amount: MoneyV1,
      paymentMethod: Type.String({ minLength: 1, maxLength: 200 }),
    },
    { additionalProperties: false },
  ),
);
export const PaymentsAuthorizationSucceededV1 = defineMessage(
  'payments.authorization.succeeded.v1',
  Type.Object({ orderId: OrderId, paymentId: Type.String({ format: 'uuid' }), amount: MoneyV1 }, { additionalProperties: false }),
);
export const PaymentsAuthorizationFailedV1 = defineMessage(
  'payments.authorization.failed.v1',
  Type.Object(
    {
      orderId: OrderId,
      code: Type.Union([
        Type.Literal('card_declined'),
        Type.Literal('insufficient_funds'),
        Type.Literal('authentication_abandoned'),
        Type.Literal('payment_error'),
      ]),
      reason: Reason,
    },
    { additionalProperties: false },
  ),
);
/** Capture the authorized amount (the pivot). */
export const PaymentsCaptureRequestedV1 = defineMessage(
  'payments.capture.requested.v1',
  Type.Object({ orderId: OrderId }, { additionalProperties: false }),
);
export const PaymentsCaptureSucceededV1 = defineMessage(
  'payments.capture.succeeded.v1',
  Type.Object({ orderId: OrderId, paymentId: Type.String({ format: 'uuid' }), amount: MoneyV1 }, { additionalProperties: false }),
);
export const PaymentsCaptureFailedV1 = defineMessage(
  'payments.capture.failed.v1',
  Type.Object({ orderId: OrderId, reason: Reason }, { additionalProperties: false }),
);
/** Compensation before the pivot: cancel the authorization. Harmless if there is none. */
export const PaymentsVoidRequestedV1 = defineMessage(
  'payments.void.requested.v1',
  Type.Object({ orderId: OrderId, reason: Reason }, { additionalProperties: false }),
);
export const PaymentsPaymentVoidedV1 = defineMessage(
  'payments.payment.voided.v1',
  Type.Object({ orderId: OrderId }, { additionalProperties: false }),
);
/** Compensation after the pivot: refund (full when `amount` is absent). `refundId` is the request's own key. */
export const PaymentsRefundRequestedV1 = defineMessage(
  'payments.refund.requested.v1',
  Type.Object(
    { orderId: OrderId, refundId: Type.String({ format: 'uuid' }), amount: Type.Optional(MoneyV1), reason: Reason },
    { additionalProperties: false },
  ),
);
export const PaymentsRefundSucceededV1 = defineMessage(
  'payments.refund.succeeded.v1',
  Type.Object(
    { orderId: OrderId, refundId: Type.String({ format: 'uuid' }), customerId: Type.String(), amount: MoneyV1 },
    { additionalProperties: false },
  ),
);
export const PaymentsRefundFailedV1 = defineMessage(
  'payments.refund.failed.v1',
  Type.Object({ orderId: OrderId, refundId: Type.String({ format: 'uuid' }), reason: Reason }, { additionalProperties: false }),
);

// ── orders ───────────────────────────────────────────────────────────────────────────────

const OrderLineV1 = Type.Object(
  { sku: Sku, quantity: Type.Integer({ minimum: 1 }), unitPrice: MoneyV1, name: Type.String() },
  { additionalProperties: false },
);

export const OrdersOrderConfirmedV1 = defineMessage(
  'orders.order.confirmed.v1',
  Type.Object(
    {
      orderId: OrderId,
      customerId: Type.String(),
      email: Type.String({ format: 'email' }),
      total: MoneyV1,
      lines: Type.Array(OrderLineV1),
    },
    { additionalProperties: false },
  ),
);
export const OrdersOrderCancelledV1 = defineMessage(
  'orders.order.cancelled.v1',
  Type.Object(
    { orderId: OrderId, customerId: Type.String(), email: Type.String({ format: 'email' }), reason: Reason, refunded: Type.Boolean() },
    { additionalProperties: false },
  ),
);
