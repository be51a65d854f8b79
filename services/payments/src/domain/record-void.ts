import type { PaymentsVoidRequestedV1 } from '@emporium/contracts';
import { appendToOutbox, type DataOf, type Envelope } from '@emporium/messaging';
import { insertOperation, lockOperationOfPaymentForUpdate, saveOperation } from '../data-access/operations-repository.js';
import { insertPaymentOrLockExisting, savePayment } from '../data-access/payments-repository.js';
import type { PaymentsTrx } from '../data-access/tables.js';
import type { CommandDeps } from './deps.js';
import { failed } from './operation.js';
import { providerKeyOf } from './payment.js';
import { paymentVoided, replyOf } from './replies.js';

/** The currency code ISO 4217 reserves for "no currency": a payment voided before it had an amount. */
const NO_CURRENCY = 'XXX';

/**
 * `payments.void.requested.v1` (compensation before the pivot): cancels the authorization; harmless
 * when there is none. A void never follows a capture: it is refused (recorded, no answer) and the
 * order must be refunded instead.
 *
 * When nothing was sent for the order yet, no call is needed: the authorization is dropped in this
 * transaction (the worker re-checks before sending, so it can never send it afterwards), and a
 * payment with no authorization at all is kept as "voided" so that a late authorize command is refused.
 */
export async function recordVoidRequest(trx: PaymentsTrx, deps: CommandDeps, data: DataOf<typeof PaymentsVoidRequestedV1>): Promise<void> {
  const replies: Envelope[] = [];
  const { payment, created } = await insertPaymentOrLockExisting(trx, {
    id: deps.newId(),
    orderId: data.orderId,
    customerId: '',
    amount: 0,
    currency: NO_CURRENCY,
    status: 'voided',
  });
  if (created) {
    await appendToOutbox(trx, deps.messages, paymentVoided(data.orderId));
    return;
  }
  const existing = await lockOperationOfPaymentForUpdate(trx, payment.id, 'void');
  if (existing) {
    const reply = replyOf(existing, payment);
    if (reply) await appendToOutbox(trx, deps.messages, reply);
    return;
  }
  const id = deps.newId();
  const base = {
    id,
    paymentId: payment.id,
    orderId: payment.orderId,
    kind: 'void' as const,
    origin: 'command' as const,
    idempotencyKey: providerKeyOf(id),
    amount: payment.authorizedAmount,
    currency: payment.currency,
    refundId: null,
    intentId: null,
    paymentMethod: null,
    reason: data.reason,
  };

  if (payment.status === 'captured') {
    await insertOperation(trx, {
      ...base,
      settled: { ok: false, code: 'payment_captured', reason: 'The payment was captured; it must be refunded instead' },
    });
    return;
  }
  if (payment.status === 'voided' || payment.status === 'failed') {
    await insertOperation(trx, { ...base, settled: { ok: true } });
    await appendToOutbox(trx, deps.messages, paymentVoided(data.orderId));
    return;
  }
  const authorize = await lockOperationOfPaymentForUpdate(trx, payment.id, 'authorize');
  if (payment.status === 'authorizing' && authorize?.status === 'pending' && authorize.firstSentAt === null) {
    // Never sent: drop it. Nothing was, or ever will be, authorized.
    const dropped = failed(authorize, deps.now(), 'payment_error', 'The order was cancelled before the payment was authorized');
    await saveOperation(trx, dropped);
    await savePayment(trx, { ...payment, status: 'voided', failureCode: null, failureReason: null });
    const authReply = replyOf(dropped, payment);
    if (authReply) replies.push(authReply);
    await insertOperation(trx, { ...base, settled: { ok: true } });
    replies.push(paymentVoided(data.orderId));
    await appendToOutbox(trx, deps.messages, replies);
    return;
  }
  // Authorized, waiting for the customer, or an authorization whose outcome is being settled:
  // the worker cancels the intent once it is known.
  await insertOperation(trx, base);
}
