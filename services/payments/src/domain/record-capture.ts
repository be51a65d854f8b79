import type { PaymentsCaptureRequestedV1 } from '@emporium/contracts';
import { appendToOutbox, type DataOf } from '@emporium/messaging';
import { insertOperation, lockOperationOfPaymentForUpdate } from '../data-access/operations-repository.js';
import { lockPaymentByOrderForUpdate } from '../data-access/payments-repository.js';
import type { PaymentsTrx } from '../data-access/tables.js';
import type { CommandDeps } from './deps.js';
import { providerKeyOf } from './payment.js';
import { captureFailed, replyOf } from './replies.js';

/**
 * `payments.capture.requested.v1`: records the capture (one per payment) with its key. Only an
 * authorized payment is captured; a capture asked twice answers the recorded outcome again.
 */
export async function recordCaptureRequest(
  trx: PaymentsTrx,
  deps: CommandDeps,
  data: DataOf<typeof PaymentsCaptureRequestedV1>,
): Promise<void> {
  const payment = await lockPaymentByOrderForUpdate(trx, data.orderId);
  if (!payment) {
    await appendToOutbox(trx, deps.messages, captureFailed(data.orderId, 'No payment was authorized for this order'));
    return;
  }
  // One capture per payment (a unique index): the insert is the check; a capture asked before
  // finds the recorded one, whose outcome is answered again.
  const id = deps.newId();
  const notCapturable = payment.status === 'failed' || payment.status === 'voided';
  const op = await insertOperation(trx, {
    id,
    paymentId: payment.id,
    orderId: payment.orderId,
    kind: 'capture',
    origin: 'command',
    idempotencyKey: providerKeyOf(id),
    amount: payment.amount,
    currency: payment.currency,
    refundId: null,
    intentId: null,
    paymentMethod: null,
    reason: null,
    // An authorization still being settled is waited for by the worker; a failed or voided one never will be.
    ...(notCapturable
      ? { settled: { ok: false, code: 'not_authorized', reason: `The payment is ${payment.status}; there is nothing to capture` } }
      : {}),
  });
  const recorded = op ?? (await lockOperationOfPaymentForUpdate(trx, payment.id, 'capture'));
  const reply = recorded && replyOf(recorded, payment);
  if (reply) await appendToOutbox(trx, deps.messages, reply);
}
