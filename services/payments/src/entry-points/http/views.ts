import type { Finding } from '../../data-access/findings-repository.js';
import type { LedgerEntry } from '../../data-access/ledger-repository.js';
import type { Operation, Payment } from '../../domain/payment.js';
import { isRefundOfOrder, type PaymentOfOrder, type RefundsOfPayment } from '../../domain/read-payments.js';

/** Rows → the admin and customer views. The payment-method token is never part of any view. */

const money = (amount: number, currency: string) => ({ amount, currency });
const iso = (d: Date | null) => (d ? d.toISOString() : null);
const failureOf = (code: string | null, reason: string | null) => (code ? { code, reason: reason ?? '' } : null);

export const paymentView = (p: Payment) => ({
  id: p.id,
  orderId: p.orderId,
  customerId: p.customerId,
  status: p.status,
  amount: money(p.amount, p.currency),
  authorized: money(p.authorizedAmount, p.currency),
  captured: money(p.capturedAmount, p.currency),
  refunded: money(p.refundedAmount, p.currency),
  refundPending: money(p.refundPendingAmount, p.currency),
  providerIntentId: p.intentId,
  failure: failureOf(p.failureCode, p.failureReason),
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
});

export const operationView = (op: Operation) => ({
  id: op.id,
  kind: op.kind,
  origin: op.origin,
  status: op.status,
  amount: money(op.amount, op.currency),
  idempotencyKey: op.idempotencyKey,
  attempts: op.attempts,
  outcomeUnknown: op.outcomeUnknown,
  lastError: op.lastError,
  refundId: op.refundId,
  providerRef: op.providerRef,
  failure: failureOf(op.failureCode, op.failureReason),
  requestedBy: op.requestedBy?.subject ?? null,
  firstSentAt: iso(op.firstSentAt),
  createdAt: op.createdAt.toISOString(),
  completedAt: iso(op.completedAt),
});

export const refundView = (op: Operation) => ({
  refundId: op.refundId!,
  orderId: op.orderId,
  origin: op.origin,
  status: op.status,
  amount: money(op.amount, op.currency),
  reason: op.reason,
  providerRefundId: op.status === 'succeeded' ? op.providerRef : null,
  failure: failureOf(op.failureCode, op.failureReason),
  requestedBy: op.requestedBy?.subject ?? null,
  createdAt: op.createdAt.toISOString(),
  completedAt: iso(op.completedAt),
});

export const ledgerEntryView = (e: LedgerEntry) => ({
  id: e.id,
  orderId: e.orderId,
  paymentId: e.paymentId,
  operationId: e.operationId,
  kind: e.kind,
  amount: money(e.amount, e.currency),
  providerRef: e.providerRef,
  source: e.source,
  recordedAt: e.recordedAt.toISOString(),
});

export const paymentOfOrderView = (v: PaymentOfOrder) => ({
  payment: paymentView(v.payment),
  operations: v.operations.map(operationView),
  refunds: v.operations.filter(isRefundOfOrder).map(refundView),
  ledger: v.ledger.map(ledgerEntryView),
});

export const findingView = (f: Finding) => ({
  id: f.id,
  kind: f.kind,
  orderId: f.orderId,
  providerRef: f.intentId,
  action: f.action,
  detail: f.detail,
  foundAt: f.foundAt.toISOString(),
});

/** What the customer sees of their order's payment: no provider ids, keys, operations or requesters. */
export const customerPaymentView = (v: RefundsOfPayment) => ({
  orderId: v.payment.orderId,
  status: v.payment.status,
  amount: money(v.payment.amount, v.payment.currency),
  captured: money(v.payment.capturedAmount, v.payment.currency),
  refunded: money(v.payment.refundedAmount, v.payment.currency),
  refunds: v.refunds.map((op) => ({
    refundId: op.refundId!,
    status: op.status,
    amount: money(op.amount, op.currency),
    createdAt: op.createdAt.toISOString(),
    completedAt: iso(op.completedAt),
  })),
  createdAt: v.payment.createdAt.toISOString(),
  updatedAt: v.payment.updatedAt.toISOString(),
});
