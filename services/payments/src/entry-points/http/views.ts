import type { Finding } from '../../data-access/findings-repository.js';
import type { LedgerEntry } from '../../data-access/ledger-repository.js';
import type { Operation, Payment } from '../../domain/payment.js';
import type { PaymentOfOrder } from '../../domain/read-payments.js';

/** Rows → the admin views. The payment-method token is never part of any view. */

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
  refunds: v.operations.filter((op) => op.kind === 'refund' && op.origin !== 'reconciliation').map(refundView),
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
