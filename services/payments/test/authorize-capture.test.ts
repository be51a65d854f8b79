import { randomUUID } from 'node:crypto';
import { waitFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  aCapturedOrder,
  anAuthorize,
  authorize,
  capture,
  EUR,
  type Harness,
  metric,
  operationsOf,
  outboxOf,
  ourLedger,
  paymentOf,
  providerLedger,
  startHarness,
  voidPayment,
} from './support/payments.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

describe('authorize and capture', () => {
  it('when an order is authorized and then captured, then both succeed and the provider holds exactly one authorization and one capture', async () => {
    const order = anAuthorize({ amount: EUR(4_999) });
    await authorize(h, order);
    const authorized = await h.replies.next(order.orderId, 'payments.authorization.succeeded.v1');
    expect(authorized.data).toEqual({ orderId: order.orderId, paymentId: expect.any(String), amount: EUR(4_999) });
    expect(authorized.source).toBe('payments');

    await capture(h, order.orderId);
    const captured = await h.replies.next(order.orderId, 'payments.capture.succeeded.v1');
    expect(captured.data).toEqual({ orderId: order.orderId, paymentId: authorized.data.paymentId, amount: EUR(4_999) });

    const ledger = await providerLedger(h, order.orderId);
    expect(ledger.entries.map((e) => [e.kind, e.amount, e.currency])).toEqual([
      ['authorization', 4_999, 'eur'],
      ['capture', 4_999, 'eur'],
    ]);
    // Our books agree with the provider's (I3).
    expect((await ourLedger(h.payments, order.orderId)).map((e) => [e.kind, e.amount])).toEqual([
      ['authorization', 4_999],
      ['capture', 4_999],
    ]);
    expect(await paymentOf(h.payments, order.orderId)).toMatchObject({ status: 'captured', captured_amount: 4_999 });
  });

  it('when the same authorize command arrives again, then the provider is not called again and the recorded success is answered again', async () => {
    const order = anAuthorize();
    await authorize(h, order);
    const first = await h.replies.next(order.orderId, 'payments.authorization.succeeded.v1');

    await authorize(h, order); // a new message id: the inbox does not stop it, the payment's unique order id does
    const second = await h.replies.next(order.orderId, 'payments.authorization.succeeded.v1', 2);
    expect(second.id).not.toBe(first.id);
    expect(second.data).toEqual(first.data);
    expect((await providerLedger(h, order.orderId)).authorizations).toHaveLength(1);
    const ops = await operationsOf(h.payments, order.orderId);
    expect(ops.map((o) => [o.kind, o.status, o.attempts])).toEqual([['authorize', 'succeeded', 1]]);
  });

  it('when the card is declined, then authorization.failed says card_declined and the provider moved no money', async () => {
    const order = anAuthorize({ paymentMethod: 'pm_card_chargeDeclined' });
    await authorize(h, order);
    const failed = await h.replies.next(order.orderId, 'payments.authorization.failed.v1');
    expect(failed.data).toMatchObject({ orderId: order.orderId, code: 'card_declined' });
    expect((await providerLedger(h, order.orderId)).entries).toEqual([]);
    expect(await ourLedger(h.payments, order.orderId)).toEqual([]);
    const [op] = await operationsOf(h.payments, order.orderId);
    // The payment-method token is kept only while the authorization is pending.
    expect(op).toMatchObject({ status: 'failed', failure_code: 'card_declined', payment_method: null });
  });

  it('when the card has insufficient funds, then authorization.failed says insufficient_funds', async () => {
    const order = anAuthorize({ paymentMethod: 'pm_card_chargeDeclinedInsufficientFunds' });
    await authorize(h, order);
    const failed = await h.replies.next(order.orderId, 'payments.authorization.failed.v1');
    expect(failed.data).toMatchObject({ code: 'insufficient_funds' });
    expect(await metric(h.payments, 'emporium_payments_operations_total', { kind: 'authorize', outcome: 'failed' })).toBeGreaterThanOrEqual(
      1,
    );
  });

  it('when a capture is asked twice, then the recorded success is answered again and the provider captured once', async () => {
    const orderId = await aCapturedOrder(h, 2_000);
    await capture(h, orderId);
    const again = await h.replies.next(orderId, 'payments.capture.succeeded.v1', 2);
    expect(again.data).toMatchObject({ orderId, amount: EUR(2_000) });
    expect((await providerLedger(h, orderId)).captures).toHaveLength(1);
  });

  it('when a capture is asked for an order with no payment, then capture.failed is answered and nothing is recorded', async () => {
    const orderId = randomUUID();
    await capture(h, orderId);
    const failed = await h.replies.next(orderId, 'payments.capture.failed.v1');
    expect(failed.data.reason).toMatch(/no payment/i);
    expect(await paymentOf(h.payments, orderId)).toBeUndefined();
  });
});

describe('void', () => {
  it('when an authorized payment is voided, then payment.voided is answered, the provider cancelled it, and a later capture fails', async () => {
    const order = anAuthorize({ amount: EUR(3_000) });
    await authorize(h, order);
    await h.replies.next(order.orderId, 'payments.authorization.succeeded.v1');
    await voidPayment(h, order.orderId);
    await h.replies.next(order.orderId, 'payments.payment.voided.v1');

    const ledger = await providerLedger(h, order.orderId);
    expect(ledger.entries.map((e) => e.kind)).toEqual(['authorization', 'void']);
    expect((await ourLedger(h.payments, order.orderId)).map((e) => e.kind)).toEqual(['authorization', 'void']);

    await capture(h, order.orderId);
    const failed = await h.replies.next(order.orderId, 'payments.capture.failed.v1');
    expect(failed.data.reason).toMatch(/voided/);
    expect((await providerLedger(h, order.orderId)).captures).toHaveLength(0);
  });

  it('when a void arrives before any authorization, then it is answered voided and a late authorize is refused without calling the provider', async () => {
    const order = anAuthorize();
    await voidPayment(h, order.orderId);
    await h.replies.next(order.orderId, 'payments.payment.voided.v1');
    await authorize(h, order);
    const failed = await h.replies.next(order.orderId, 'payments.authorization.failed.v1');
    expect(failed.data).toMatchObject({ code: 'payment_error' });
    expect((await providerLedger(h, order.orderId)).entries).toEqual([]);
  });

  it('when a captured payment is asked to be voided, then nothing is cancelled and no voided answer is given', async () => {
    const orderId = await aCapturedOrder(h, 1_500);
    await voidPayment(h, orderId);
    const refused = await waitFor(async () => (await operationsOf(h.payments, orderId)).find((o) => o.kind === 'void'));
    expect(refused).toMatchObject({ status: 'failed', failure_code: 'payment_captured' });
    // Refused in the transaction that recorded it: no voided answer was committed to the outbox.
    expect(await outboxOf(h.payments, 'payments.payment.voided.v1', orderId)).toEqual([]);
    expect((await providerLedger(h, orderId)).voids).toHaveLength(0);
    expect(await paymentOf(h.payments, orderId)).toMatchObject({ status: 'captured' });
  });

  it('when the customer never completes 3-D Secure and the order is voided, then the intent is cancelled and the authorization ends as authentication_abandoned', async () => {
    const order = anAuthorize({ paymentMethod: 'pm_card_authenticationRequired' });
    await authorize(h, order);
    await waitFor(async () => (await paymentOf(h.payments, order.orderId))?.status === 'requires_action', {
      description: 'the payment to wait for the customer',
    });
    await voidPayment(h, order.orderId);
    await h.replies.next(order.orderId, 'payments.payment.voided.v1');
    const failed = await h.replies.next(order.orderId, 'payments.authorization.failed.v1');
    expect(failed.data).toMatchObject({ code: 'authentication_abandoned' });
    expect(await paymentOf(h.payments, order.orderId)).toMatchObject({ status: 'voided', authorized_amount: 0 });
    // Nothing was ever authorized, so nothing was voided in the provider's books either.
    expect((await providerLedger(h, order.orderId)).entries).toEqual([]);
  });
});
