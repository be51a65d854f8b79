import type { TraceCarrier } from '@emporium/observability';
import type { LedgerKind, OperationKind, OperationOrigin, OperationStatus, PaymentStatus } from '../data-access/tables.js';

export type { LedgerKind, OperationKind, OperationOrigin, OperationStatus, PaymentStatus };

/** Money is integer minor units plus an ISO 4217 code, never a float. */
export interface Money {
  amount: number;
  currency: string;
}

/** One payment per order: what we asked the provider to hold, take and give back. */
export interface Payment {
  id: string;
  orderId: string;
  customerId: string;
  /** The order's total: nothing beyond it is ever captured (I1). */
  amount: number;
  currency: string;
  status: PaymentStatus;
  /** The provider's payment intent, once known. */
  intentId: string | null;
  authorizedAmount: number;
  capturedAmount: number;
  /** Refunds the provider made (never above capturedAmount, I2). */
  refundedAmount: number;
  /** Refunds asked for and not yet settled: reserved, so concurrent refunds never exceed the capture (F7). */
  refundPendingAmount: number;
  failureCode: string | null;
  failureReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * One thing we ask of the provider. Its idempotency key is committed with it before the first
 * call and sent on every retry, so the provider does it at most once (RELIABILITY.md, F2/F3).
 */
export interface Operation {
  id: string;
  /** Null only for a reconciliation repair of a provider intent that is not ours. */
  paymentId: string | null;
  orderId: string;
  kind: OperationKind;
  origin: OperationOrigin;
  status: OperationStatus;
  idempotencyKey: string;
  amount: number;
  currency: string;
  refundId: string | null;
  /** The intent a repair acts on (the payment's own intent otherwise). */
  intentId: string | null;
  /** The provider's payment-method token, kept only while the authorization is pending. Never logged. */
  paymentMethod: string | null;
  reason: string | null;
  attempts: number;
  nextAttemptAt: Date;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  /** When the key may first have reached the provider; the key is trusted for the retention after it. */
  firstSentAt: Date | null;
  /**
   * A provider event reported this operation's outcome while its call was in flight (not read
   * again then): if the call's answer leaves the operation pending, it is looked at again at once.
   */
  hintedAt: Date | null;
  /** The trace the operation was asked for in (empty when tracing is off): its calls are made in it. */
  trace: TraceCarrier;
  /** The last call ended without an answer (timeout, 5xx, connection lost): it may or may not have happened. */
  outcomeUnknown: boolean;
  lastError: string | null;
  /** The provider's id for what was done (pi_… or re_…). */
  providerRef: string | null;
  failureCode: string | null;
  failureReason: string | null;
  /** Who asked for an admin operation (the audit trail); null for commands and repairs. */
  requestedBy: Requester | null;
  createdAt: Date;
  completedAt: Date | null;
}

/** The caller behind an admin operation: `sub` and `jti` of the verified access token. */
export interface Requester {
  subject: string;
  tokenId: string | null;
}

/** The provider idempotency key of an operation: derived from our id, so it is known before any call. */
export const providerKeyOf = (operationId: string) => `emporium-${operationId}`;

/** The provider writes currencies in lower case. */
export const toProviderCurrency = (currency: string) => currency.toLowerCase();
export const fromProviderCurrency = (currency: string) => currency.toUpperCase();

/** What is still refundable: captured, less refunded, less refunds in flight. */
export const refundableOf = (p: Payment) => p.capturedAmount - p.refundedAmount - p.refundPendingAmount;

/** A payment whose authorization is not settled yet. */
export const isAuthorizing = (p: Payment) => p.status === 'authorizing' || p.status === 'requires_action';

/** A payment that may hold money at the provider (so a provider intent of it is expected). */
export const holdsMoney = (p: Payment) => p.status === 'authorized' || p.status === 'captured' || isAuthorizing(p);
