import type { PaymentsAuthorizeRequestedV1 } from '@emporium/contracts';
import { appendToOutbox, type DataOf } from '@emporium/messaging';
import { insertOperation, insertPaymentWithOperation, lockOperationOfPaymentForUpdate } from '../data-access/operations-repository.js';
import { lockPaymentByOrderForUpdate } from '../data-access/payments-repository.js';
import type { PaymentsTrx } from '../data-access/tables.js';
import type { CommandDeps } from './deps.js';
import { providerKeyOf } from './payment.js';
import { replyOf } from './replies.js';

/**
 * `payments.authorize.requested.v1`, in the inbox transaction: records the intent only — the
 * order's payment (one per order, a unique key) and its authorization with the provider
 * idempotency key, committed before anything is sent. The worker calls the provider.
 * A repeated command creates nothing: it answers the recorded outcome again (or, while the
 * outcome is pending, nothing yet — the outcome's answer will come).
 */
export async function recordAuthorizeRequest(
  trx: PaymentsTrx,
  deps: CommandDeps,
  data: DataOf<typeof PaymentsAuthorizeRequestedV1>,
): Promise<void> {
  const operationId = deps.newId();
  const operation = {
    id: operationId,
    orderId: data.orderId,
    kind: 'authorize' as const,
    origin: 'command' as const,
    idempotencyKey: providerKeyOf(operationId),
    amount: data.amount.amount,
    currency: data.amount.currency,
    refundId: null,
    intentId: null,
    paymentMethod: data.paymentMethod,
    reason: null,
  };
  // The order's first command: its payment and the authorization, both new, in one statement.
  const created = await insertPaymentWithOperation(
    trx,
    { id: deps.newId(), orderId: data.orderId, customerId: data.customerId, ...data.amount, status: 'authorizing' },
    operation,
  );
  if (created) return;

  // The order has a payment already (the unique key held): nothing new is inserted above.
  const payment = (await lockPaymentByOrderForUpdate(trx, data.orderId))!;
  const existing = await lockOperationOfPaymentForUpdate(trx, payment.id, 'authorize');
  if (existing) {
    // Another amount in a repeated command changes nothing either: the recorded authorization stands.
    const reply = replyOf(existing, payment);
    if (reply) await appendToOutbox(trx, deps.messages, reply);
    return;
  }
  // The order's payment was voided before any authorization arrived (a late or reordered command):
  // nothing may be authorized for it any more.
  const refused = await insertOperation(trx, {
    ...operation,
    paymentId: payment.id,
    paymentMethod: null,
    settled: { ok: false, code: 'payment_error', reason: 'The order’s payment was cancelled before it was authorized' },
  });
  const reply = refused && replyOf(refused, payment);
  if (reply) await appendToOutbox(trx, deps.messages, reply);
}
