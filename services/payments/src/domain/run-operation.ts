import { inTransaction } from '@emporium/db';
import { type ClaimedOperation, lockPendingOperationsOfPaymentForUpdate } from '../data-access/operations-repository.js';
import { findPaymentById, lockPaymentForUpdate } from '../data-access/payments-repository.js';
import type { PaymentsTrx } from '../data-access/tables.js';
import type { PaymentsDeps } from './deps.js';
import { failed, keyExpired, rescheduled, retryDelayMs, succeeded } from './operation.js';
import { isAuthorizing, type Operation, type Payment, toProviderCurrency } from './payment.js';
import { type Effects, newEffects, PaymentChange, reportEffects } from './payment-change.js';
import type { ProviderAnswer, ProviderIntent, ProviderRefund } from './provider.js';
import { runRepair } from './run-repair.js';
import { applyRefunds, syncIntent } from './sync-intent.js';

/**
 * One step of one claimed operation — the worker's whole job, in the order the issue asks:
 *   the operation and its key were committed before (record-*.ts); the claim, which marks the key
 *   as possibly sent, is committed; the provider is called OUTSIDE any transaction, with the stored
 *   key; the answer and the reply are recorded in one transaction.
 * No answer (timeout, 5xx, connection lost) leaves the operation pending with the same key, to be
 * sent again later — the provider replays what it did — or, once the key may have been forgotten,
 * looked up. A new key is never made for the same intent.
 */
export interface StepContext {
  /** This worker's lease owner id. */
  owner: string;
  /** Aborts the provider calls before the lease runs out. */
  signal: AbortSignal;
}

type Plan =
  | { do: 'send' }
  | { do: 'read' }
  | { do: 'lookup' }
  | { do: 'wait'; why: string }
  | { do: 'end'; ok: true }
  | { do: 'end'; ok: false; code: string; reason: string };

function planOf(deps: PaymentsDeps, op: Operation, p: Payment): Plan {
  const expired = keyExpired(op, deps.now(), deps.settings.keyRetentionMs);
  switch (op.kind) {
    case 'authorize':
      if (p.status === 'authorized' || p.status === 'captured') return { do: 'end', ok: true };
      if (p.status === 'failed')
        return { do: 'end', ok: false, code: p.failureCode ?? 'payment_error', reason: p.failureReason ?? 'The payment failed' };
      if (p.status === 'voided')
        return { do: 'end', ok: false, code: 'payment_error', reason: 'The payment was cancelled before it was authorized' };
      // The intent exists (e.g. waiting for 3-D Secure): read it; sending the key again would only replay the first answer.
      if (p.intentId) return { do: 'read' };
      if (!op.paymentMethod) return { do: 'lookup' };
      return expired ? { do: 'lookup' } : { do: 'send' };
    case 'capture':
      if (p.status === 'captured') return { do: 'end', ok: true };
      if (p.status === 'voided' || p.status === 'failed') {
        return { do: 'end', ok: false, code: 'not_authorized', reason: `The payment is ${p.status}; there is nothing to capture` };
      }
      if (isAuthorizing(p)) return { do: 'wait', why: 'the authorization is not settled yet' };
      return expired ? { do: 'lookup' } : { do: 'send' };
    case 'void':
      if (p.status === 'voided' || p.status === 'failed') return { do: 'end', ok: true };
      if (p.status === 'captured') {
        return {
          do: 'end',
          ok: false,
          code: 'payment_captured',
          reason: 'The payment was captured before it could be voided; it must be refunded instead',
        };
      }
      if (!p.intentId) return { do: 'wait', why: 'the authorization’s outcome is not known yet' };
      return expired ? { do: 'lookup' } : { do: 'send' };
    case 'refund':
      if (p.status !== 'captured' || !p.intentId) {
        return { do: 'end', ok: false, code: 'not_captured', reason: 'Nothing was captured for this order' };
      }
      return expired ? { do: 'lookup' } : { do: 'send' };
  }
}

/**
 * `claim.payment` is the payment as the claim read it: enough to decide what to do; whatever is
 * recorded afterwards is decided again under the payment's lock (withPayment).
 */
export async function runOperation(deps: PaymentsDeps, claim: ClaimedOperation, step: StepContext): Promise<void> {
  const claimed = claim.operation;
  if (claimed.origin === 'reconciliation') return runRepair(deps, claimed, step);
  const payment = claim.payment;
  if (!payment) return;
  const plan = planOf(deps, claimed, payment);
  // Ended or put off without a call: the claim's "possibly sent" mark is taken back.
  const unsent = (op: Operation): Operation => ({ ...op, firstSentAt: claim.firstSentAtBefore });
  switch (plan.do) {
    case 'end':
      return withPayment(deps, claimed, async (_trx, change, op) => {
        change.update(unsent(plan.ok ? succeeded(op, deps.now()) : failOperation(deps, change, op, plan.code, plan.reason)));
      });
    case 'wait':
      return withPayment(deps, claimed, async (_trx, change, op, fx) => {
        change.update(unsent(rescheduled(op, deps.now(), deps.settings.waitMs, { error: `waiting: ${plan.why}` })));
        fx.operations.push({ kind: op.kind, outcome: 'waiting' });
      });
    case 'read':
      return read(deps, claimed, payment, step);
    case 'lookup':
      return lookup(deps, claimed, payment, step);
    case 'send': {
      // The claim marked the key as possibly sent: a void can no longer simply drop this operation.
      deps.logger.debug({ operationId: claimed.id, kind: claimed.kind, attempt: claimed.attempts }, 'calling the payment provider');
      const answer = await send(deps, claimed, payment, step.signal);
      return recordAnswer(deps, claimed, answer, step);
    }
  }
}

function send(
  deps: PaymentsDeps,
  op: Operation,
  p: Payment,
  signal: AbortSignal,
): Promise<ProviderAnswer<ProviderIntent | ProviderRefund>> {
  const metadata = { order_id: op.orderId, payment_id: p.id, operation_id: op.id };
  switch (op.kind) {
    case 'authorize':
      return deps.provider.createIntent(
        op.idempotencyKey,
        { amount: op.amount, currency: toProviderCurrency(op.currency), paymentMethod: op.paymentMethod!, metadata },
        signal,
      );
    case 'capture':
      return deps.provider.captureIntent(op.idempotencyKey, p.intentId!, p.authorizedAmount, signal);
    case 'void':
      return deps.provider.cancelIntent(op.idempotencyKey, p.intentId!, 'abandoned', signal);
    case 'refund':
      return deps.provider.createRefund(
        op.idempotencyKey,
        { intentId: p.intentId!, amount: op.amount, metadata: { ...metadata, refund_id: op.refundId! } },
        signal,
      );
  }
}

const isRefund = (value: ProviderIntent | ProviderRefund): value is ProviderRefund => 'payment_intent' in value;

async function recordAnswer(
  deps: PaymentsDeps,
  claimed: Operation,
  answer: ProviderAnswer<ProviderIntent | ProviderRefund>,
  step: StepContext,
): Promise<void> {
  switch (answer.kind) {
    case 'ok': {
      const value = answer.value;
      return withPayment(deps, claimed, async (trx, change, op, fx) => {
        if (isRefund(value)) await applyRefunds(trx, deps, fx, change, [value], 'worker');
        else await syncIntent(trx, deps, fx, value, undefined, 'worker', change);
        const still = change.pendingById(op.id);
        // Answered, but the answer did not settle it (the provider's state lags): look again soon.
        if (still?.leaseOwner) change.update(rescheduled(still, deps.now(), retryDelayMs(deps.settings.retryDelaysMs, still.attempts)));
      });
    }
    case 'declined':
      return withPayment(deps, claimed, async (trx, change, op, fx) => {
        if (answer.intent) await syncIntent(trx, deps, fx, answer.intent, undefined, 'worker', change);
        const still = change.pendingById(op.id);
        if (!still) return;
        const insufficient = answer.declineCode === 'insufficient_funds';
        change.update(
          failOperation(
            deps,
            change,
            still,
            insufficient ? 'insufficient_funds' : 'card_declined',
            insufficient ? 'The card has insufficient funds' : 'The card was declined',
          ),
        );
      });
    case 'rejected':
      // The provider's state is not what we thought, or the key was used otherwise: ask it, never guess.
      if (answer.code === 'payment_intent_unexpected_state' || answer.code === 'idempotency_key_reused') {
        if (answer.code === 'idempotency_key_reused')
          deps.logger.error({ operationId: claimed.id }, 'the provider says our key was used with other parameters');
        const payment = await findPaymentById(deps.db, claimed.paymentId!);
        return lookup(deps, claimed, payment!, step);
      }
      return withPayment(deps, claimed, async (_trx, change, op) => {
        change.update(failOperation(deps, change, op, answer.code, refusalReason(op, answer.code, answer.message)));
      });
    case 'retry_later':
      return withPayment(deps, claimed, async (_trx, change, op, fx) => {
        const delay = answer.retryAfterMs ?? retryDelayMs(deps.settings.retryDelaysMs, op.attempts);
        change.update(rescheduled(op, deps.now(), delay, { error: answer.reason }));
        fx.operations.push({ kind: op.kind, outcome: 'retry_later' });
      });
    case 'unknown':
      deps.logger.warn(
        { operationId: claimed.id, kind: claimed.kind, attempt: claimed.attempts, reason: answer.reason },
        'the provider did not answer; the operation stays pending and will be resolved with the same key',
      );
      return withPayment(deps, claimed, async (_trx, change, op, fx) => {
        change.update(
          rescheduled(op, deps.now(), retryDelayMs(deps.settings.retryDelaysMs, op.attempts), { unknown: true, error: answer.reason }),
        );
        fx.operations.push({ kind: op.kind, outcome: 'unknown' });
      });
  }
}

function refusalReason(op: Operation, code: string, message: string): string {
  if (op.kind === 'refund' && code === 'amount_too_large') return 'The refund is larger than what is left of the capture';
  if (code === 'payment_method_invalid') return 'The payment method cannot be used';
  return `The payment provider refused the ${op.kind}: ${message}`.slice(0, 500);
}

/** Ends an operation as failed, with what its failure means for the payment. */
function failOperation(deps: PaymentsDeps, change: PaymentChange, op: Operation, code: string, reason: string): Operation {
  const p = change.payment;
  if (op.kind === 'authorize' && isAuthorizing(p)) {
    p.status = 'failed';
    p.failureCode = code;
    p.failureReason = reason;
  }
  // The refund's reserved amount is free again.
  if (op.kind === 'refund') p.refundPendingAmount = Math.max(0, p.refundPendingAmount - op.amount);
  const authCode = ['card_declined', 'insufficient_funds', 'authentication_abandoned'].includes(code) ? code : 'payment_error';
  return failed(op, deps.now(), op.kind === 'authorize' ? authCode : code, reason);
}

/** Reads a known intent (and its refunds when captured) and syncs. */
async function read(deps: PaymentsDeps, claimed: Operation, p: Payment, step: StepContext): Promise<void> {
  const answer = await deps.provider.getIntent(p.intentId!, step.signal);
  if (answer.kind !== 'ok')
    return recordAnswer(deps, claimed, answer.kind === 'rejected' ? { kind: 'unknown', reason: answer.code } : answer, step);
  const refunds = await refundsIfCaptured(deps, answer.value, step.signal);
  return withPayment(deps, claimed, async (trx, change, op, fx) => {
    await syncIntent(trx, deps, fx, answer.value, refunds, 'worker', change);
    const still = change.pendingById(op.id);
    if (still?.leaseOwner) change.update(rescheduled(still, deps.now(), retryDelayMs(deps.settings.retryDelaysMs, still.attempts)));
  });
}

async function refundsIfCaptured(deps: PaymentsDeps, intent: ProviderIntent, signal: AbortSignal): Promise<ProviderRefund[] | undefined> {
  if (intent.status !== 'succeeded') return undefined;
  const refunds = await deps.provider.listRefunds(intent.id, signal);
  return refunds.kind === 'ok' ? refunds.value : undefined;
}

/**
 * Resolves an operation without sending its key again: the key may have been forgotten (older
 * than the retention) or the provider's state differs from ours. What the provider has decides;
 * when it has nothing, nothing happened, and the operation fails without money having moved.
 */
async function lookup(deps: PaymentsDeps, claimed: Operation, p: Payment, step: StepContext): Promise<void> {
  const unknownLater = (reason: string) => recordAnswer(deps, claimed, { kind: 'unknown', reason }, step);
  let intent: ProviderIntent | undefined;
  if (p.intentId) {
    const answer = await deps.provider.getIntent(p.intentId, step.signal);
    if (answer.kind !== 'ok') return unknownLater(`lookup: ${answer.kind}`);
    intent = answer.value;
  } else {
    const answer = await deps.provider.searchIntents(claimed.orderId, step.signal);
    if (answer.kind !== 'ok') return unknownLater(`lookup: ${answer.kind}`);
    intent = answer.value.find((i) => i.metadata.operation_id === claimed.id || i.metadata.payment_id === p.id);
  }
  let refunds: ProviderRefund[] | undefined;
  if (intent && (intent.status === 'succeeded' || claimed.kind === 'refund')) {
    const answer = await deps.provider.listRefunds(intent.id, step.signal);
    if (answer.kind !== 'ok') return unknownLater(`lookup: ${answer.kind}`);
    refunds = answer.value;
  }
  return withPayment(deps, claimed, async (trx, change, op, fx) => {
    if (intent) await syncIntent(trx, deps, fx, intent, refunds, 'reconciliation', change);
    const still = change.pendingById(op.id);
    if (!still) return;
    if (still.kind === 'authorize' && change.payment.status === 'requires_action') return;
    change.update(
      failOperation(
        deps,
        change,
        still,
        `${still.kind}_not_done`,
        `The provider has no record that this ${still.kind} happened; nothing was done`,
      ),
    );
  });
}

/**
 * Runs `work` on the payment and its pending operations, locked, and saves them with the replies
 * in one transaction; does nothing when the operation has ended meanwhile (a webhook or another
 * worker settled it first).
 */
async function withPayment(
  deps: PaymentsDeps,
  claimed: Operation,
  work: (trx: PaymentsTrx, change: PaymentChange, op: Operation, fx: Effects) => Promise<void>,
): Promise<void> {
  const paymentId = claimed.paymentId;
  if (!paymentId) return;
  const fx = await inTransaction(deps.db, async (trx) => {
    const fx = newEffects();
    const payment = await lockPaymentForUpdate(trx, paymentId);
    if (!payment) return fx;
    // Read under the payment's lock: the operation as it is now (still pending, or not).
    const change = new PaymentChange(payment, await lockPendingOperationsOfPaymentForUpdate(trx, payment.id));
    const op = change.pendingById(claimed.id);
    if (!op) return fx;
    await work(trx, change, op, fx);
    // A provider event reported this operation's success while its call was in flight, and was
    // not read again for it (webhook-hint.ts): if the answer left it pending, look again now.
    const still = change.pendingById(claimed.id);
    if (still?.hintedAt) change.update({ ...rescheduled(still, deps.now(), 0), hintedAt: null });
    await change.save(trx, deps, fx);
    return fx;
  });
  reportEffects(deps, fx);
}
