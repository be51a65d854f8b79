import { randomUUID } from 'node:crypto';
import { waitFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  aCapturedOrder,
  anAuthorize,
  authorize,
  EUR,
  type Harness,
  metric,
  operationsOf,
  ourLedger,
  paymentOf,
  providerLedger,
  refund,
  startHarness,
} from './support/payments.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ webhooks: false });
});
afterAll(() => h?.close());

describe('refunds never exceed the capture (I2, F7)', () => {
  it('when five partial refunds of a quarter each arrive at once, then exactly four succeed, one is refused, and the provider refunded exactly the capture', async () => {
    const orderId = await aCapturedOrder(h, 10_000);
    const before = await metric(h.payments, 'emporium_payments_refunds_total');
    const sent = await Promise.all(Array.from({ length: 5 }, () => refund(h, orderId, 2_500)));

    await waitFor(() => h.replies.of(orderId).filter((e) => e.type.startsWith('payments.refund.')).length === 5, {
      description: 'an answer to each of the five refunds',
    });
    const succeeded = h.replies.of(orderId, 'payments.refund.succeeded.v1');
    const failed = h.replies.of(orderId, 'payments.refund.failed.v1');
    expect(succeeded).toHaveLength(4);
    expect(failed).toHaveLength(1);
    expect(new Set([...succeeded, ...failed].map((e) => e.data.refundId))).toEqual(new Set(sent.map((e) => e.data.refundId)));
    expect(failed[0]!.data.reason).toMatch(/exceeds/);
    // Refused by our reservation, before any call: the provider never saw the fifth refund.
    const neverSent = (await operationsOf(h.payments, orderId)).find((o) => o.refund_id === failed[0]!.data.refundId);
    expect(neverSent).toMatchObject({ status: 'failed', first_sent_at: null, attempts: 0 });
    expect(succeeded[0]!.data).toMatchObject({ customerId: expect.any(String), amount: EUR(2_500) });

    const ledger = await providerLedger(h, orderId);
    expect(ledger.refunds.reduce((sum, r) => sum + r.amount, 0)).toBe(10_000);
    expect(ledger.refunds).toHaveLength(4);
    expect(await paymentOf(h.payments, orderId)).toMatchObject({
      captured_amount: 10_000,
      refunded_amount: 10_000,
      refund_pending_amount: 0,
    });
    expect(await metric(h.payments, 'emporium_payments_refunds_total')).toBe(before + 4);

    // One more, however small: nothing is left.
    const more = await refund(h, orderId, 1);
    const refused = await h.replies.next(orderId, 'payments.refund.failed.v1', 2);
    expect(refused.data).toMatchObject({ refundId: more.data.refundId });
    expect((await providerLedger(h, orderId)).refunds).toHaveLength(4);
  });

  it('when a refund names no amount, then all that is left is refunded', async () => {
    const orderId = await aCapturedOrder(h, 6_000);
    await refund(h, orderId, 1_000);
    await h.replies.next(orderId, 'payments.refund.succeeded.v1');
    await refund(h, orderId);
    const full = await h.replies.next(orderId, 'payments.refund.succeeded.v1', 2);
    expect(full.data.amount).toEqual(EUR(5_000));
    expect((await providerLedger(h, orderId)).refunds.map((r) => r.amount)).toEqual([1_000, 5_000]);
  });

  it('when the same refund request arrives twice, then it is refunded once and answered twice alike', async () => {
    const orderId = await aCapturedOrder(h, 4_000);
    const refundId = randomUUID();
    await refund(h, orderId, 1_500, refundId);
    const first = await h.replies.next(orderId, 'payments.refund.succeeded.v1');
    await refund(h, orderId, 1_500, refundId);
    const second = await h.replies.next(orderId, 'payments.refund.succeeded.v1', 2);
    expect(second.data).toEqual(first.data);
    expect((await providerLedger(h, orderId)).refunds).toHaveLength(1);
    expect((await ourLedger(h.payments, orderId)).filter((e) => e.kind === 'refund')).toHaveLength(1);
    // Each refund request has its own provider key.
    const ops = (await operationsOf(h.payments, orderId)).filter((o) => o.kind === 'refund');
    expect(ops).toHaveLength(1);
    expect(ops[0]!.idempotency_key).toBe(`emporium-${ops[0]!.id}`);
  });

  it('when a refund is asked for a payment that was not captured, then refund.failed is answered and the provider is not called', async () => {
    const order = anAuthorize();
    await authorize(h, order);
    await h.replies.next(order.orderId, 'payments.authorization.succeeded.v1');
    await refund(h, order.orderId, 100);
    const failed = await h.replies.next(order.orderId, 'payments.refund.failed.v1');
    expect(failed.data.reason).toMatch(/captured/);
    expect((await providerLedger(h, order.orderId)).refunds).toHaveLength(0);
  });
});
