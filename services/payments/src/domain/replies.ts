import {
  PaymentsAuthorizationFailedV1,
  PaymentsAuthorizationSucceededV1,
  PaymentsCaptureFailedV1,
  PaymentsCaptureSucceededV1,
  PaymentsPaymentVoidedV1,
  PaymentsRefundFailedV1,
  PaymentsRefundSucceededV1,
} from '@emporium/contracts';
import { createEnvelope, type Envelope } from '@emporium/messaging';
import type { Operation, Payment } from './payment.js';

/**
 * The answers to orders' commands. Each is the subject's (the order's) outcome as recorded, so
 * answering a repeated command again is just building the same answer from the same rows.
 */

const meta = (orderId: string) => ({ source: 'payments', subject: orderId });

export type AuthorizationFailureCode = 'card_declined' | 'insufficient_funds' | 'authentication_abandoned' | 'payment_error';

export const authorizationSucceeded = (p: Payment): Envelope =>
  createEnvelope(
    PaymentsAuthorizationSucceededV1,
    { orderId: p.orderId, paymentId: p.id, amount: { amount: p.authorizedAmount, currency: p.currency } },
    meta(p.orderId),
  );

export const authorizationFailed = (orderId: string, code: AuthorizationFailureCode, reason: string): Envelope =>
  createEnvelope(PaymentsAuthorizationFailedV1, { orderId, code, reason }, meta(orderId));

export const captureSucceeded = (p: Payment): Envelope =>
  createEnvelope(
    PaymentsCaptureSucceededV1,
    { orderId: p.orderId, paymentId: p.id, amount: { amount: p.capturedAmount, currency: p.currency } },
    meta(p.orderId),
  );

export const captureFailed = (orderId: string, reason: string): Envelope =>
  createEnvelope(PaymentsCaptureFailedV1, { orderId, reason }, meta(orderId));

export const paymentVoided = (orderId: string): Envelope => createEnvelope(PaymentsPaymentVoidedV1, { orderId }, meta(orderId));

export const refundSucceeded = (p: Payment, op: Operation): Envelope =>
  createEnvelope(
    PaymentsRefundSucceededV1,
    { orderId: p.orderId, refundId: op.refundId!, customerId: p.customerId, amount: { amount: op.amount, currency: op.currency } },
    meta(p.orderId),
  );

export const refundFailed = (orderId: string, refundId: string, reason: string): Envelope =>
  createEnvelope(PaymentsRefundFailedV1, { orderId, refundId, reason }, meta(orderId));

const AUTH_CODES: ReadonlySet<string> = new Set(['card_declined', 'insufficient_funds', 'authentication_abandoned', 'payment_error']);

/**
 * The reply an operation that has ended deserves, built from what was recorded (the same answer
 * every time it is asked). Repairs by the reconciliation answer nobody.
 */
export function replyOf(op: Operation, payment: Payment | undefined): Envelope | undefined {
  if (op.status === 'pending' || op.origin === 'reconciliation' || !payment) return undefined;
  const reason = op.failureReason ?? 'The payment provider refused the operation';
  switch (op.kind) {
    case 'authorize':
      if (op.status === 'succeeded') return authorizationSucceeded(payment);
      return authorizationFailed(
        op.orderId,
        (AUTH_CODES.has(op.failureCode ?? '') ? op.failureCode : 'payment_error') as AuthorizationFailureCode,
        reason,
      );
    case 'capture':
      return op.status === 'succeeded' ? captureSucceeded(payment) : captureFailed(op.orderId, reason);
    case 'void':
      // A void refused because the payment was captured answers nothing: orders must refund instead.
      return op.status === 'succeeded' ? paymentVoided(op.orderId) : undefined;
    case 'refund':
      return op.status === 'succeeded' ? refundSucceeded(payment, op) : refundFailed(op.orderId, op.refundId!, reason);
  }
}
