import { Type } from 'typebox';

/** The payments service's wire formats (admin views and requests). Unknown properties are rejected. */

const strict = { additionalProperties: false } as const;

export const OrderId = Type.String({ format: 'uuid', description: 'The order id' });

export const Money = Type.Object(
  {
    amount: Type.Integer({ minimum: 0, description: 'Minor units (cents): 1999 is 19.99' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 currency code' }),
  },
  { ...strict, description: 'An amount of money in integer minor units' },
);

const Failure = Type.Union([Type.Null(), Type.Object({ code: Type.String(), reason: Type.String() }, strict)]);
const RequestedBy = Type.Union([Type.Null(), Type.String()], {
  description:
    'Who asked for it: the user id (`sub`) of the admin whose token made the request; null when asked by the order’s saga or the reconciliation',
});
const Timestamp = Type.String({ format: 'date-time' });
const NullableTimestamp = Type.Union([Type.Null(), Timestamp]);

export const PaymentView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    orderId: OrderId,
    customerId: Type.String(),
    status: Type.Enum(['authorizing', 'requires_action', 'authorized', 'captured', 'voided', 'failed']),
    amount: Money,
    authorized: Money,
    captured: Money,
    refunded: Money,
    refundPending: Money,
    providerIntentId: Type.Union([Type.Null(), Type.String()]),
    failure: Failure,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  strict,
);

export const OperationView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    kind: Type.Enum(['authorize', 'capture', 'void', 'refund']),
    origin: Type.Enum(['command', 'admin', 'reconciliation']),
    status: Type.Enum(['pending', 'succeeded', 'failed']),
    amount: Money,
    idempotencyKey: Type.String({ description: 'The provider idempotency key, committed before the first call and sent on every retry' }),
    attempts: Type.Integer(),
    outcomeUnknown: Type.Boolean({ description: 'The last call got no answer; resolved with the same key or by a lookup' }),
    lastError: Type.Union([Type.Null(), Type.String()]),
    refundId: Type.Union([Type.Null(), Type.String({ format: 'uuid' })]),
    providerRef: Type.Union([Type.Null(), Type.String()]),
    failure: Failure,
    requestedBy: RequestedBy,
    firstSentAt: NullableTimestamp,
    createdAt: Timestamp,
    completedAt: NullableTimestamp,
  },
  strict,
);

export const RefundView = Type.Object(
  {
    refundId: Type.String({ format: 'uuid' }),
    orderId: OrderId,
    origin: Type.Enum(['command', 'admin', 'reconciliation']),
    status: Type.Enum(['pending', 'succeeded', 'failed']),
    amount: Money,
    reason: Type.Union([Type.Null(), Type.String()]),
    providerRefundId: Type.Union([Type.Null(), Type.String()]),
    failure: Failure,
    requestedBy: RequestedBy,
    createdAt: Timestamp,
    completedAt: NullableTimestamp,
  },
  strict,
);

export const LedgerEntryView = Type.Object(
  {
    id: Type.Integer(),
    orderId: OrderId,
    paymentId: Type.Union([Type.Null(), Type.String({ format: 'uuid' })]),
    operationId: Type.Union([Type.Null(), Type.String({ format: 'uuid' })]),
    kind: Type.Enum(['authorization', 'capture', 'void', 'refund']),
    amount: Money,
    providerRef: Type.String({ description: 'The provider object moved (pi_… or re_…)' }),
    source: Type.Enum(['worker', 'webhook', 'reconciliation'], { description: 'How we learnt of it' }),
    recordedAt: Timestamp,
  },
  strict,
);

export const PaymentOfOrderView = Type.Object(
  { payment: PaymentView, operations: Type.Array(OperationView), refunds: Type.Array(RefundView), ledger: Type.Array(LedgerEntryView) },
  strict,
);

/**
 * The payment of an order as its customer sees it: where it stands and the refunds. No internal
 * field (no provider ids or keys, no operations, no requester, no failure details).
 */
export const CustomerPaymentView = Type.Object(
  {
    orderId: OrderId,
    status: Type.Enum(['authorizing', 'requires_action', 'authorized', 'captured', 'voided', 'failed']),
    amount: Money,
    captured: Money,
    refunded: Money,
    refunds: Type.Array(
      Type.Object(
        {
          refundId: Type.String({ format: 'uuid' }),
          status: Type.Enum(['pending', 'succeeded', 'failed']),
          amount: Money,
          createdAt: Timestamp,
          completedAt: NullableTimestamp,
        },
        strict,
      ),
    ),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  strict,
);

export const LedgerQuery = Type.Object(
  {
    orderId: Type.Optional(OrderId),
    after: Type.Optional(Type.Integer({ minimum: 0, description: 'Entries after this id (the last id of the previous page)' })),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
  },
  strict,
);

export const LedgerPage = Type.Object({ data: Type.Array(LedgerEntryView), next: Type.Union([Type.Null(), Type.Integer()]) }, strict);

export const FindingView = Type.Object(
  {
    id: Type.Integer(),
    kind: Type.String({
      description:
        'orphan_authorization, orphan_charge, stray_authorization, missed_capture, unrequested_void, unrequested_refund, intent_missing, repair_failed',
    }),
    orderId: Type.Union([Type.Null(), Type.String()]),
    providerRef: Type.String(),
    action: Type.String({ description: 'recorded, voiding, refunding or flagged' }),
    detail: Type.String(),
    foundAt: Timestamp,
  },
  strict,
);

export const FindingsPage = Type.Object({ data: Type.Array(FindingView) }, strict);

export const FindingsQuery = Type.Object(
  { orderId: Type.Optional(OrderId), limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }) },
  strict,
);

export const WebhookAck = Type.Object(
  {
    received: Type.Boolean(),
    result: Type.Enum(['processed', 'duplicate', 'ignored'], {
      description:
        'processed: applied (read again from the provider and synced, or already shown by our records); duplicate: an event id seen before; ignored: nothing of ours',
    }),
  },
  strict,
);

export const OrderParams = Type.Object({ orderId: OrderId }, strict);

export const AdminRefundBody = Type.Object(
  {
    amount: Type.Integer({ minimum: 1, description: 'Minor units of the payment’s currency' }),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  },
  strict,
);

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ description: 'Required: one key per refund (1 to 255 visible characters)' })),
});

export { ProblemSchema as Problem, problems } from '@emporium/service';
