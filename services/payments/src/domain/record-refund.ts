import type { PaymentsRefundRequestedV1 } from '@emporium/contracts';
import { appendToOutbox, type DataOf } from '@emporium/messaging';
import { insertOperation, lockOperationByRefundIdForUpdate } from '../data-access/operations-repository.js';
import { lockPaymentByOrderForUpdate, savePayment } from '../data-access/payments-repository.js';
import type { PaymentsTrx } from '../data-access/tables.js';
import type { CommandDeps } from './deps.js';
import { type Operation, type Payment, providerKeyOf, type Requester, refundableOf } from './payment.js';
import { refundFailed, replyOf } from './replies.js';

export type RefundDecision = { ok: true; amount: number } | { ok: false; code: string; reason: string; refundable: number };

/**
 * Whether a refund of `amount` (all that is left when undefined) fits in the payment. The amount
 * is reserved at once under the payment's row lock, so concurrent refunds can never add up to more
 * than the capture (F7); the CHECK refunded ≤ captured stands behind it.
 */
export function decideRefund(p: Payment, amount: { amount: number; currency: string } | undefined): RefundDecision {
  const refundable = refundableOf(p);
  if (p.status !== 'captured') return { ok: false, code: 'not_captured', reason: 'Nothing was captured for this order', refundable: 0 };
  if (amount && amount.currency !== p.currency) {
    return { ok: false, code: 'currency_mismatch', reason: `The payment is in ${p.currency}, not ${amount.currency}`, refundable };
  }
  const wanted = amount?.amount ?? refundable;
  if (wanted <= 0) return { ok: false, code: 'nothing_to_refund', reason: 'Nothing is left to refund', refundable };
  if (wanted > refundable) {
    return {
      ok: false,
      code: 'refund_exceeds_capture',
      reason: `The refund exceeds what is left of the capture (${refundable} ${p.currency})`,
      refundable,
    };
  }
  return { ok: true, amount: wanted };
}

/** Reserves the refund's amount and records its operation (with its own provider key). */
export async function reserveRefund(
  trx: PaymentsTrx,
  deps: CommandDeps,
  p: Payment,
  refund: { refundId: string; amount: number; reason: string } & ({ origin: 'command' } | { origin: 'admin'; requestedBy: Requester }),
): Promise<Operation> {
  await savePayment(trx, { ...p, refundPendingAmount: p.refundPendingAmount + refund.amount });
  const id = deps.newId();
  const op = await insertOperation(trx, {
    id,
    paymentId: p.id,
    orderId: p.orderId,
    kind: 'refund',
    origin: refund.origin,
    idempotencyKey: providerKeyOf(id),
    amount: refund.amount,
    currency: p.currency,
    refundId: refund.refundId,
    intentId: null,
    paymentMethod: null,
    reason: refund.reason,
    ...(refund.origin === 'admin' ? { requestedBy: refund.requestedBy } : {}),
  });
  return op!;
}

/**
 * `payments.refund.requested.v1` (compensation after the pivot): each refund request is its own
 * operation with its own provider key, identified by its refundId; a repeated request answers the
 * recorded outcome again. A refund that cannot fit is refused at once (and recorded as such).
 */
export async function recordRefundRequest(
  trx: PaymentsTrx,
  deps: CommandDeps,
  data: DataOf<typeof PaymentsRefundRequestedV1>,
): Promise<void> {
  const payment = await lockPaymentByOrderForUpdate(trx, data.orderId);
  const existing = await lockOperationByRefundIdForUpdate(trx, data.refundId);
  if (existing) {
    const reply = replyOf(existing, payment);
    if (reply) await appendToOutbox(trx, deps.messages, reply);
    return;
  }
  if (!payment) {
    await appendToOutbox(trx, deps.messages, refundFailed(data.orderId, data.refundId, 'No payment exists for this order'));
    return;
  }
  const decision = decideRefund(payment, data.amount);
  if (decision.ok) {
    await reserveRefund(trx, deps, payment, { refundId: data.refundId, amount: decision.amount, reason: data.reason, origin: 'command' });
    return;
  }
  const id = deps.newId();
  const refused = await insertOperation(trx, {
    id,
    paymentId: payment.id,
    orderId: payment.orderId,
    kind: 'refund',
    origin: 'command',
    idempotencyKey: providerKeyOf(id),
    amount: data.amount?.amount ?? 0,
    currency: payment.currency,
    refundId: data.refundId,
    intentId: null,
    paymentMethod: null,
    reason: data.reason,
    settled: { ok: false, code: decision.code, reason: decision.reason },
  });
  const reply = refused && replyOf(refused, payment);
  if (reply) await appendToOutbox(trx, deps.messages, reply);
}
