import { createHash } from 'node:crypto';
import { authorize, authorizeVisible, type Principal } from '@emporium/auth';
import { inTransaction } from '@emporium/db';
import { lockOperationByRefundIdForUpdate } from '../data-access/operations-repository.js';
import { lockPaymentByOrderForUpdate } from '../data-access/payments-repository.js';
import { paymentsPolicy } from '../policy.js';
import type { PaymentsDeps } from './deps.js';
import { idempotencyKeyReused, paymentNotCaptured, paymentNotFound, refundExceedsCapture } from './errors.js';
import type { Operation } from './payment.js';
import { decideRefund, reserveRefund } from './record-refund.js';

/**
 * The refund id of an admin refund: derived from the order and the caller's Idempotency-Key
 * (a name-based UUID, RFC 9562 version 8), so the same key always names the same refund.
 */
export function adminRefundIdOf(orderId: string, idempotencyKey: string): string {
  const h = createHash('sha256').update(`admin-refund\u0000${orderId}\u0000${idempotencyKey}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * An administrator's refund: its own operation and provider key, like a refund command. The same
 * Idempotency-Key with the same amount answers the same refund; with another amount → 422.
 *
 * The policy decides under the payment's lock, before anything is written: a refund above the
 * admin's refund limit (or in another currency, or by an admin without one) is 403 and records
 * nothing. The refund row keeps who asked (the audit trail), in the same transaction.
 */
export async function requestAdminRefund(
  deps: PaymentsDeps,
  principal: Principal,
  orderId: string,
  idempotencyKey: string,
  amount: number,
  reason: string | undefined,
): Promise<Operation> {
  const refundId = adminRefundIdOf(orderId, idempotencyKey);
  const ability = paymentsPolicy(principal);
  return inTransaction(deps.db, async (trx) => {
    const payment = await lockPaymentByOrderForUpdate(trx, orderId);
    if (!payment) throw paymentNotFound(orderId);
    authorizeVisible(ability, 'read', 'Payment', payment, () => paymentNotFound(orderId));
    authorize(ability, 'refund', 'Refund', { orderId, amount, currency: payment.currency });
    const existing = await lockOperationByRefundIdForUpdate(trx, refundId);
    if (existing) {
      if (existing.amount !== amount) throw idempotencyKeyReused();
      return existing;
    }
    const decision = decideRefund(payment, { amount, currency: payment.currency });
    if (!decision.ok) {
      if (decision.code === 'not_captured') throw paymentNotCaptured(payment.status);
      throw refundExceedsCapture(decision.refundable, payment.currency);
    }
    return reserveRefund(trx, deps, payment, {
      refundId,
      amount: decision.amount,
      reason: reason ?? 'Refund by an administrator',
      origin: 'admin',
      requestedBy: { subject: principal.subject, tokenId: principal.tokenId ?? null },
    });
  });
}
