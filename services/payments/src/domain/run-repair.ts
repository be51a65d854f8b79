import { inTransaction } from '@emporium/db';
import { recordMovement } from '../data-access/ledger-repository.js';
import { lockOperationForUpdate, saveOperation } from '../data-access/operations-repository.js';
import { markIntentSettled } from '../data-access/provider-intents-repository.js';
import type { PaymentsTrx } from '../data-access/tables.js';
import type { PaymentsDeps } from './deps.js';
import { failed, keyExpired, rescheduled, retryDelayMs, succeeded } from './operation.js';
import type { Operation } from './payment.js';
import { type Effects, flag, newEffects, reportEffects } from './payment-change.js';
import type { ProviderAnswer, ProviderIntent, ProviderRefund } from './provider.js';
import type { StepContext } from './run-operation.js';

/**
 * A repair the reconciliation decided: void or refund a provider intent that holds money no
 * payment of ours should hold (an authorization for an order we do not know, or a second one).
 * Same rules as every operation: its key was committed first, is sent again on every retry, and
 * is never sent once it may have been forgotten.
 */
export async function runRepair(deps: PaymentsDeps, claimed: Operation, step: StepContext): Promise<void> {
  const intentId = claimed.intentId!;
  if (keyExpired(claimed, deps.now(), deps.settings.keyRetentionMs)) return lookupRepair(deps, claimed, step);
  // The claim marked the key as possibly sent.
  const metadata = { order_id: claimed.orderId, operation_id: claimed.id, refund_id: claimed.refundId ?? undefined };
  const answer: ProviderAnswer<ProviderIntent | ProviderRefund> =
    claimed.kind === 'void'
      ? await deps.provider.cancelIntent(claimed.idempotencyKey, intentId, 'duplicate', step.signal)
      : await deps.provider.createRefund(claimed.idempotencyKey, { intentId, amount: claimed.amount, metadata }, step.signal);
  switch (answer.kind) {
    case 'ok':
      return settle(deps, claimed.id, async (trx, op) =>
        done(trx, op, 'id' in answer.value && 'payment_intent' in answer.value ? answer.value.id : intentId),
      );
    case 'rejected':
      // Already cancelled, or captured meanwhile (then the next reconciliation refunds it instead).
      return lookupRepair(deps, claimed, step);
    case 'declined':
    case 'retry_later':
    case 'unknown':
      return settle(deps, claimed.id, async (_trx, op, fx) => {
        const unknown = answer.kind === 'unknown';
        fx.operations.push({ kind: op.kind, outcome: unknown ? 'unknown' : 'retry_later' });
        return rescheduled(op, deps.now(), retryDelayMs(deps.settings.retryDelaysMs, op.attempts), {
          unknown,
          error: answer.kind === 'declined' ? answer.code : answer.reason,
        });
      });
  }

  async function done(trx: PaymentsTrx, op: Operation, providerRef: string): Promise<Operation> {
    await recordMovement(trx, {
      orderId: op.orderId,
      paymentId: op.paymentId,
      operationId: op.id,
      kind: op.kind === 'void' ? 'void' : 'refund',
      amount: op.amount,
      currency: op.currency,
      providerRef,
      source: 'reconciliation',
    });
    await markIntentSettled(trx, intentId);
    return succeeded(op, deps.now(), providerRef);
  }

  async function lookupRepair(deps: PaymentsDeps, op0: Operation, step: StepContext): Promise<void> {
    const intent = await deps.provider.getIntent(intentId, step.signal);
    if (intent.kind !== 'ok') {
      return settle(deps, op0.id, async (_trx, op) =>
        rescheduled(op, deps.now(), retryDelayMs(deps.settings.retryDelaysMs, op.attempts), {
          unknown: true,
          error: `lookup: ${intent.kind}`,
        }),
      );
    }
    let refund: ProviderRefund | undefined;
    if (op0.kind === 'refund') {
      const refunds = await deps.provider.listRefunds(intentId, step.signal);
      if (refunds.kind !== 'ok') {
        return settle(deps, op0.id, async (_trx, op) =>
          rescheduled(op, deps.now(), retryDelayMs(deps.settings.retryDelaysMs, op.attempts), {
            unknown: true,
            error: `lookup: ${refunds.kind}`,
          }),
        );
      }
      refund = refunds.value.find((r) => r.metadata.operation_id === op0.id);
    }
    return settle(deps, op0.id, async (trx, op, fx) => {
      if (op.kind === 'void' && intent.value.status === 'canceled') return done(trx, op, intentId);
      if (op.kind === 'refund' && refund) return done(trx, op, refund.id);
      await flag(trx, fx, {
        kind: 'repair_failed',
        intentId,
        orderId: op.orderId,
        action: 'flagged',
        detail: `The ${op.kind} of this intent did not happen (it is ${intent.value.status}); an operator must look at it`,
      });
      return failed(op, deps.now(), `${op.kind}_not_done`, `The provider intent is ${intent.value.status}; the ${op.kind} did not happen`);
    });
  }
}

async function settle(
  deps: PaymentsDeps,
  operationId: string,
  work: (trx: PaymentsTrx, op: Operation, fx: Effects) => Promise<Operation>,
): Promise<void> {
  const fx = await inTransaction(deps.db, async (trx) => {
    const fx = newEffects();
    const op = await lockOperationForUpdate(trx, operationId);
    if (op?.status !== 'pending') return fx;
    const next = await work(trx, op, fx);
    await saveOperation(trx, next);
    if (next.status !== 'pending') fx.operations.push({ kind: next.kind, outcome: next.status });
    return fx;
  });
  reportEffects(deps, fx);
}
