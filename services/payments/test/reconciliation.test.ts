import { randomUUID } from 'node:crypto';
import { waitFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anAuthorize,
  asAdmin,
  authorize,
  type Harness,
  metric,
  ourLedger,
  paymentOf,
  providerLedger,
  startHarness,
} from './support/payments.js';

/**
 * The reconciliation (I3 "books agree"): every 300 ms here. Money the provider holds that no
 * payment of ours should hold is given back through an operation with its own key, and counted.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { PAYMENTS_RECONCILIATION_INTERVAL_MS: '300' } });
});
afterAll(() => h?.close());

/** Someone creates an intent at the provider directly (not through payments). */
async function anIntentAtTheProvider(orderId: string, paymentMethod = 'pm_card_visa', amount = 2_222) {
  const res = await fetch(`${h.provider.url}/v1/payment_intents`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${h.provider.secretKey}`,
      'content-type': 'application/json',
      'idempotency-key': `outside-${randomUUID()}`,
    },
    body: JSON.stringify({
      amount,
      currency: 'eur',
      payment_method: paymentMethod,
      capture_method: 'manual',
      confirm: true,
      metadata: { order_id: orderId },
    }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { id: string };
}

async function providerCall(path: string, key = `outside-${randomUUID()}`) {
  const res = await fetch(`${h.provider.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.provider.secretKey}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: '{}',
  });
  expect(res.status).toBe(200);
}

const findings = async (orderId: string) =>
  (
    await h.payments.app.inject({ url: `/api/payments/reconciliation/findings?orderId=${orderId}`, headers: await asAdmin(h.payments) })
  ).json().data as any[];

describe('reconciliation', () => {
  it('when the provider holds an authorization for an order we do not know, then it is voided with a recorded key, flagged and counted', async () => {
    const before = await metric(h.payments, 'emporium_payments_reconciliation_findings_total', { kind: 'orphan_authorization' });
    const orderId = randomUUID();
    const intent = await anIntentAtTheProvider(orderId);

    await waitFor(async () => (await providerLedger(h, orderId)).voids.length === 1, {
      description: 'the orphan authorization to be voided',
    });
    expect((await providerLedger(h, orderId)).entries.map((e) => e.kind)).toEqual(['authorization', 'void']);
    expect(await metric(h.payments, 'emporium_payments_reconciliation_findings_total', { kind: 'orphan_authorization' })).toBe(before + 1);
    expect(await findings(orderId)).toEqual([
      expect.objectContaining({ kind: 'orphan_authorization', action: 'voiding', providerRef: intent.id }),
    ]);
    // The repair was an operation like any other: its key committed first. The provider's ledger
    // shows the void as soon as the provider made it; our record of its answer follows.
    const repair = await waitFor(
      async () => {
        const [op] = await h.payments.ctx.db.selectFrom('payment_operations').selectAll().where('order_id', '=', orderId).execute();
        return op?.status === 'pending' ? undefined : op;
      },
      { description: 'the repair operation to be recorded' },
    );
    expect(repair).toMatchObject({
      kind: 'void',
      origin: 'reconciliation',
      status: 'succeeded',
      payment_id: null,
      idempotency_key: `emporium-${repair!.id}`,
    });
    // Our ledger shows what the provider did.
    await waitFor(async () => (await ourLedger(h.payments, orderId)).length === 2);
    expect((await ourLedger(h.payments, orderId)).map((e) => [e.kind, e.source])).toEqual([
      ['authorization', 'reconciliation'],
      ['void', 'reconciliation'],
    ]);
    expect(await paymentOf(h.payments, orderId)).toBeUndefined();
  });

  it('when the provider holds a captured charge for an order we do not know, then it is refunded in full', async () => {
    const orderId = randomUUID();
    // Its events arrive late, so that it is captured before anyone of ours hears of it.
    await h.provider.setFaults([{ operation: 'webhook', kind: 'delay', ms: 1_000, times: 2 }]);
    const intent = await anIntentAtTheProvider(orderId, 'pm_card_visa', 3_333);
    await providerCall(`/v1/payment_intents/${intent.id}/capture`);

    await waitFor(async () => (await providerLedger(h, orderId)).refunds.length === 1, { description: 'the orphan charge to be refunded' });
    expect((await providerLedger(h, orderId)).refunds.map((r) => r.amount)).toEqual([3_333]);
    expect((await findings(orderId)).map((f) => f.kind)).toContain('orphan_charge');
  });

  it('when an order of ours has a second authorization at the provider, then the stray one is voided and ours is left alone', async () => {
    const order = anAuthorize();
    await authorize(h, order);
    await h.replies.next(order.orderId, 'payments.authorization.succeeded.v1');
    const ours = (await paymentOf(h.payments, order.orderId))!.intent_id!;
    const stray = await anIntentAtTheProvider(order.orderId);

    await waitFor(async () => (await providerLedger(h, order.orderId)).voids.length === 1, {
      description: 'the second authorization to be voided',
    });
    const ledger = await providerLedger(h, order.orderId);
    expect(ledger.voids.map((v) => v.payment_intent)).toEqual([stray.id]);
    expect(ledger.authorizations.map((a) => a.payment_intent)).toEqual([ours, stray.id]);
    expect(await paymentOf(h.payments, order.orderId)).toMatchObject({ status: 'authorized', intent_id: ours });
  });

  it('when a capture happened that we missed (its webhooks lost), then the reconciliation records it', async () => {
    const order = anAuthorize();
    await authorize(h, order);
    await h.replies.next(order.orderId, 'payments.authorization.succeeded.v1');
    const intentId = (await paymentOf(h.payments, order.orderId))!.intent_id!;
    await h.provider.setFaults([{ operation: 'webhook', kind: 'drop' }]);
    try {
      await providerCall(`/v1/payment_intents/${intentId}/capture`);
      await waitFor(async () => (await paymentOf(h.payments, order.orderId))?.status === 'captured', {
        description: 'the missed capture to be recorded',
      });
    } finally {
      await h.provider.clearFaults();
    }
    expect((await ourLedger(h.payments, order.orderId)).map((e) => [e.kind, e.source])).toEqual([
      ['authorization', 'worker'],
      ['capture', 'reconciliation'],
    ]);
    expect((await findings(order.orderId)).map((f) => [f.kind, f.detail])).toEqual([['missed_capture', expect.any(String)]]);
  });
});
