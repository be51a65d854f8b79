import { hasMovement } from '../data-access/ledger-repository.js';
import { lockPendingOperationsOfPaymentForUpdate } from '../data-access/operations-repository.js';
import { lockPaymentByIntentForUpdate, lockPaymentForUpdate } from '../data-access/payments-repository.js';
import { upsertProviderIntent } from '../data-access/provider-intents-repository.js';
import type { LedgerSource, PaymentsTrx } from '../data-access/tables.js';
import type { PaymentsDeps } from './deps.js';
import { failed, rescheduled, succeeded } from './operation.js';
import { isAuthorizing, type Payment } from './payment.js';
import { type Effects, flag, PaymentChange } from './payment-change.js';
import type { ProviderIntent, ProviderRefund } from './provider.js';
import type { AuthorizationFailureCode } from './replies.js';

/**
 * Brings our records up to what the provider says now. The one reconciliation of state shared by
 * the worker (after a call), webhooks (after re-reading the intent) and the reconciliation job.
 *
 * Out-of-order safe: it reads the provider's current state, never an event's, and every change
 * only moves forward (authorizing → requires_action → authorized → captured; or → voided / failed);
 * a state we are already past changes nothing. Each money movement enters the ledger once.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The payment an intent belongs to: the one that holds it, or the one whose authorization created it. */
export async function lockPaymentOfIntentForUpdate(trx: PaymentsTrx, intent: ProviderIntent): Promise<Payment | undefined> {
  const holder = await lockPaymentByIntentForUpdate(trx, intent.id);
  if (holder) return holder;
  const paymentId = intent.metadata.payment_id;
  if (!paymentId || !UUID.test(paymentId)) return undefined;
  // The lock may wait for the worker recording this very intent: once it has, intentId is already this intent's.
  const payment = await lockPaymentForUpdate(trx, paymentId);
  return payment && (payment.intentId === null || payment.intentId === intent.id) && payment.orderId === intent.metadata.order_id
    ? payment
    : undefined;
}

const refundedOf = (refunds: ProviderRefund[] | undefined) =>
  refunds?.filter((r) => r.status !== 'failed' && r.status !== 'canceled').reduce((sum, r) => sum + r.amount, 0);

/**
 * Syncs one intent (and, when given, its refunds). Returns the payment it belongs to, or
 * undefined when it is not ours (it is then remembered for the reconciliation to repair).
 */
export async function syncIntent(
  trx: PaymentsTrx,
  deps: PaymentsDeps,
  fx: Effects,
  intent: ProviderIntent,
  refunds: ProviderRefund[] | undefined,
  source: LedgerSource,
  change?: PaymentChange,
): Promise<Payment | undefined> {
  const payment = change?.payment ?? (await lockPaymentOfIntentForUpdate(trx, intent));
  if (!payment || (payment.intentId !== null && payment.intentId !== intent.id)) {
    await upsertProviderIntent(trx, intent, null, refundedOf(refunds));
    return undefined;
  }
  // provider_intents is the reconciliation's working set: intents that are not ours (to repair),
  // and ours as the reconciliation compared them. The worker and webhooks record ours in the payment.
  if (source === 'reconciliation') await upsertProviderIntent(trx, intent, payment.id, refundedOf(refunds));
  const own = change ?? new PaymentChange(payment, await lockPendingOperationsOfPaymentForUpdate(trx, payment.id));
  await applyIntent(trx, deps, fx, own, intent, source);
  if (refunds) await applyRefunds(trx, deps, fx, own, refunds, source);
  if (!change) await own.save(trx, deps, fx);
  return own.payment;
}

function declineOf(error: ProviderIntent['last_payment_error']): { code: AuthorizationFailureCode; reason: string } {
  if (error?.decline_code === 'insufficient_funds' || error?.code === 'insufficient_funds') {
    return { code: 'insufficient_funds', reason: 'The card has insufficient funds' };
  }
  if (error?.code === 'authentication_failed') return { code: 'card_declined', reason: 'The card holder did not pass authentication' };
  if (error?.code === 'card_declined') return { code: 'card_declined', reason: 'The card was declined' };
  return { code: 'payment_error', reason: 'The payment provider did not authorize the payment' };
}

/** Applies the intent's status to the payment and its pending operations (see the module comment). */
export async function applyIntent(
  trx: PaymentsTrx,
  deps: PaymentsDeps,
  fx: Effects,
  change: PaymentChange,
  intent: ProviderIntent,
  source: LedgerSource,
): Promise<void> {
  const now = deps.now();
  const p = change.payment;
  if (p.intentId === null) p.intentId = intent.id;
  const movement = (kind: 'authorization' | 'capture' | 'void', amount: number, operationId: string | null) =>
    change.record({
      orderId: p.orderId,
      paymentId: p.id,
      operationId,
      kind,
      amount,
      currency: p.currency,
      providerRef: intent.id,
      source,
    });

  // Authorized (perhaps captured since): the authorization happened.
  if ((intent.status === 'requires_capture' || intent.status === 'succeeded') && isAuthorizing(p)) {
    const authorize = change.pending('authorize');
    p.status = 'authorized';
    p.authorizedAmount = Math.min(intent.amount, p.amount);
    p.failureCode = null;
    p.failureReason = null;
    movement('authorization', p.authorizedAmount, authorize?.id ?? null);
    if (authorize) change.update(succeeded(authorize, now, intent.id));
  }

  // Waiting for the customer (3-D Secure): the answer comes with a webhook, or the next look.
  if (intent.status === 'requires_action' && isAuthorizing(p)) {
    p.status = 'requires_action';
    const authorize = change.pending('authorize');
    if (authorize) change.update(rescheduled(authorize, now, deps.settings.actionRecheckMs, { unknown: false, error: null }));
  }

  // Declined (or authentication failed): nothing is held.
  if (intent.status === 'requires_payment_method' && isAuthorizing(p)) {
    const { code, reason } = declineOf(intent.last_payment_error);
    p.status = 'failed';
    p.failureCode = code;
    p.failureReason = reason;
    const authorize = change.pending('authorize');
    if (authorize) change.update(failed(authorize, now, code, reason));
  }

  // Captured.
  if (intent.status === 'succeeded' && p.status === 'authorized') {
    const capture = change.pending('capture');
    p.status = 'captured';
    p.capturedAmount = Math.min(intent.amount_received, p.amount);
    movement('capture', p.capturedAmount, capture?.id ?? null);
    if (capture) change.update(succeeded(capture, now, intent.id));
    else {
      await flag(trx, fx, {
        kind: 'missed_capture',
        intentId: intent.id,
        orderId: p.orderId,
        action: 'recorded',
        detail: `The provider captured ${p.capturedAmount} ${p.currency} that no capture of ours was waiting for; recorded`,
      });
    }
  }

  // Cancelled at the provider.
  if (intent.status === 'canceled' && (p.status === 'authorized' || isAuthorizing(p))) {
    const wasAuthorized = p.status === 'authorized';
    const wasWaitingForAction = p.status === 'requires_action';
    const voidOp = change.pending('void');
    p.status = 'voided';
    if (wasAuthorized) movement('void', p.authorizedAmount, voidOp?.id ?? null);
    if (voidOp) change.update(succeeded(voidOp, now, intent.id));
    else {
      await flag(trx, fx, {
        kind: 'unrequested_void',
        intentId: intent.id,
        orderId: p.orderId,
        action: 'recorded',
        detail: 'The provider cancelled the payment without a void of ours (expired or cancelled outside Emporium)',
      });
    }
    const authorize = change.pending('authorize');
    if (authorize) {
      change.update(
        failed(
          authorize,
          now,
          wasWaitingForAction ? 'authentication_abandoned' : 'payment_error',
          wasWaitingForAction
            ? 'The customer did not complete the authentication in time'
            : 'The payment was cancelled before it was authorized',
        ),
      );
    }
  }

  settleImpossible(deps, change);
}

/** Operations that can no longer happen in the payment's state end now, with their answer. */
function settleImpossible(deps: PaymentsDeps, change: PaymentChange): void {
  const now = deps.now();
  const p = change.payment;
  const capture = change.pending('capture');
  if (capture && (p.status === 'voided' || p.status === 'failed')) {
    change.update(failed(capture, now, 'not_authorized', `The payment is ${p.status}; there is nothing to capture`));
  }
  const voidOp = change.pending('void');
  if (voidOp && p.status === 'failed') change.update(succeeded(voidOp, now));
  if (voidOp && p.status === 'captured') {
    change.update(
      failed(voidOp, now, 'payment_captured', 'The payment was captured before it could be voided; it must be refunded instead'),
    );
  }
}

/** Applies the provider's refunds of the payment's intent: ours settle, others are recorded and flagged. */
export async function applyRefunds(
  trx: PaymentsTrx,
  deps: PaymentsDeps,
  fx: Effects,
  change: PaymentChange,
  refunds: ProviderRefund[],
  source: LedgerSource,
): Promise<void> {
  const now = deps.now();
  const p = change.payment;
  for (const r of refunds) {
    if (r.status === 'failed' || r.status === 'canceled') continue;
    if (change.records('refund', r.id) || (await hasMovement(trx, 'refund', r.id))) continue;
    const op = change.pendingById(r.metadata.operation_id);
    const ours = op && op.kind === 'refund' && op.origin !== 'reconciliation' ? op : undefined;
    if (ours) {
      p.refundPendingAmount = Math.max(0, p.refundPendingAmount - ours.amount);
      change.update(succeeded(ours, now, r.id));
      fx.refundsSucceeded++;
    } else {
      await flag(trx, fx, {
        kind: 'unrequested_refund',
        intentId: r.id,
        orderId: p.orderId,
        action: 'recorded',
        detail: `The provider refunded ${r.amount} ${p.currency} that no refund of ours was waiting for; recorded`,
      });
    }
    p.refundedAmount += r.amount;
    change.record({
      orderId: p.orderId,
      paymentId: p.id,
      operationId: ours?.id ?? null,
      kind: 'refund',
      amount: r.amount,
      currency: p.currency,
      providerRef: r.id,
      source,
    });
  }
}
