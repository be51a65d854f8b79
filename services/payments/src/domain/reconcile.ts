import { inTransaction } from '@emporium/db';
import { recordMovement } from '../data-access/ledger-repository.js';
import { insertOperation, listUnknownOperations } from '../data-access/operations-repository.js';
import { findPaymentById, listPaymentsToReconcile, markPaymentReconciled } from '../data-access/payments-repository.js';
import { listForeignIntents, markIntentSettled, upsertProviderIntent } from '../data-access/provider-intents-repository.js';
import type { PaymentsTrx } from '../data-access/tables.js';
import type { PaymentsDeps } from './deps.js';
import { fromProviderCurrency, type Payment, providerKeyOf } from './payment.js';
import { type Effects, flag, newEffects, reportEffects } from './payment-change.js';
import type { ProviderIntent, ProviderRefund } from './provider.js';
import { syncIntent } from './sync-intent.js';

export interface ReconciliationReport {
  /** Orders whose provider intents were compared with our records. */
  orders: number;
  /** Provider intents looked at. */
  intents: number;
  /** Findings recorded in this run (each counted once, ever). */
  findings: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One comparison of our records with the provider's (I3 "books agree"):
 *  1. for recent payments and those with an unknown outcome: every intent of the order (search by
 *     order id) is synced — a capture we missed is recorded, an unknown outcome is settled;
 *  2. intents seen in webhooks that no payment of ours holds are read again;
 *  3. an intent holding money that no payment of ours should hold (an order we do not know, a
 *     second intent, or one of a cancelled/failed payment) is repaired: an operation with its own
 *     key voids it (authorized) or refunds it (captured), and the finding is recorded and counted.
 * Only reads happen here; every repair is an operation the worker runs.
 */
export async function reconcileOnce(
  deps: PaymentsDeps,
  options: { lookbackHours: number; batch: number; signal?: AbortSignal },
): Promise<ReconciliationReport> {
  const report: ReconciliationReport = { orders: 0, intents: 0, findings: 0 };
  const payments = new Map<string, Payment>();
  for (const p of await listPaymentsToReconcile(deps.db, options.lookbackHours, options.batch)) payments.set(p.orderId, p);
  for (const op of await listUnknownOperations(deps.db, options.batch)) {
    if (payments.has(op.orderId) || !op.paymentId) continue;
    const p = await findPaymentById(deps.db, op.paymentId);
    if (p) payments.set(p.orderId, p);
  }

  for (const payment of payments.values()) {
    if (options.signal?.aborted) break;
    const found = await deps.provider.searchIntents(payment.orderId, options.signal);
    if (found.kind !== 'ok') continue;
    report.orders++;
    for (const intent of found.value) await compareIntent(deps, intent, report, options.signal);
    if (payment.intentId && !found.value.some((i) => i.id === payment.intentId)) {
      const fx = newEffects();
      await inTransaction(deps.db, (trx) =>
        flag(trx, fx, {
          kind: 'intent_missing',
          intentId: payment.intentId!,
          orderId: payment.orderId,
          action: 'flagged',
          detail: 'Our payment holds an intent the provider does not list for the order',
        }),
      );
      report.findings += fx.findings.length;
      reportEffects(deps, fx);
    }
    await markPaymentReconciled(deps.db, payment.id);
  }

  for (const foreign of await listForeignIntents(deps.db, options.batch)) {
    if (options.signal?.aborted) break;
    const intent = await deps.provider.getIntent(foreign.intentId, options.signal);
    if (intent.kind === 'ok') await compareIntent(deps, intent.value, report, options.signal);
    else if (intent.kind === 'rejected') await inTransaction(deps.db, (trx) => markIntentSettled(trx, foreign.intentId));
  }
  return report;
}

/** Syncs one intent and repairs it when it holds money it should not. Returns false when the provider could not be read. */
async function compareIntent(
  deps: PaymentsDeps,
  intent: ProviderIntent,
  report: ReconciliationReport,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  let refunds: ProviderRefund[] | undefined;
  if (intent.status === 'succeeded') {
    const list = await deps.provider.listRefunds(intent.id, signal);
    if (list.kind !== 'ok') return false;
    refunds = list.value;
  }
  report.intents++;
  const fx = await inTransaction(deps.db, async (trx) => {
    const fx = newEffects();
    const ours = await syncIntent(trx, deps, fx, intent, refunds, 'reconciliation');
    // Ours and still expected to hold money: nothing to repair.
    if (
      ours &&
      (ours.status === 'authorized' || ours.status === 'captured' || ours.status === 'authorizing' || ours.status === 'requires_action')
    ) {
      return fx;
    }
    await repairStray(trx, deps, fx, intent, refunds, ours);
    return fx;
  });
  report.findings += fx.findings.length;
  reportEffects(deps, fx);
  return true;
}

/**
 * An intent holding money that no payment of ours should hold: record what the provider did in
 * the ledger, then an operation (with its key) that gives the money back, and the finding.
 */
async function repairStray(
  trx: PaymentsTrx,
  deps: PaymentsDeps,
  fx: Effects,
  intent: ProviderIntent,
  refunds: ProviderRefund[] | undefined,
  ours: Payment | undefined,
): Promise<void> {
  const refunded = (refunds ?? []).filter((r) => r.status !== 'failed' && r.status !== 'canceled').reduce((s, r) => s + r.amount, 0);
  const held =
    intent.status === 'requires_capture' || intent.status === 'requires_action'
      ? { kind: 'void' as const, amount: intent.amount_capturable || intent.amount }
      : intent.status === 'succeeded' && intent.amount_received - refunded > 0
        ? { kind: 'refund' as const, amount: intent.amount_received - refunded }
        : undefined;
  if (!held) {
    await markIntentSettled(trx, intent.id);
    return;
  }
  if (!ours) await upsertProviderIntent(trx, intent, null, refunds ? refunded : undefined);
  const orderId = intent.metadata.order_id;
  const findingKind = ours ? 'stray_authorization' : held.kind === 'void' ? 'orphan_authorization' : 'orphan_charge';
  const why = ours ? `the order's payment is ${ours.status}` : 'no payment of ours holds it';
  if (!orderId || !UUID.test(orderId)) {
    await flag(trx, fx, {
      kind: findingKind,
      intentId: intent.id,
      orderId: orderId ?? null,
      action: 'flagged',
      detail: `The provider holds ${held.amount} ${intent.currency} on an intent without an order id of ours (${why}); an operator must look at it`,
    });
    return;
  }
  const id = deps.newId();
  const currency = fromProviderCurrency(intent.currency);
  const op = await insertOperation(trx, {
    id,
    paymentId: ours?.id ?? null,
    orderId,
    kind: held.kind,
    origin: 'reconciliation',
    idempotencyKey: providerKeyOf(id),
    amount: held.amount,
    currency,
    refundId: held.kind === 'refund' ? deps.newId() : null,
    intentId: intent.id,
    paymentMethod: null,
    reason: `Reconciliation: ${why}`,
  });
  if (!op) return; // The repair is already under way.
  const movement = (kind: 'authorization' | 'capture', amount: number) =>
    recordMovement(trx, {
      orderId,
      paymentId: ours?.id ?? null,
      operationId: null,
      kind,
      amount,
      currency,
      providerRef: intent.id,
      source: 'reconciliation',
    });
  await movement('authorization', intent.amount);
  if (intent.status === 'succeeded') await movement('capture', intent.amount_received);
  await flag(trx, fx, {
    kind: findingKind,
    intentId: intent.id,
    orderId,
    action: held.kind === 'void' ? 'voiding' : 'refunding',
    detail: `The provider holds ${held.amount} ${currency} for this order but ${why}; ${held.kind === 'void' ? 'voiding' : 'refunding'} it`,
  });
}
