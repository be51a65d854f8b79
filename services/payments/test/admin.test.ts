import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aCapturedOrder, as, asAdmin, expectProblem, type Harness, providerLedger, SUPPORT, startHarness } from './support/payments.js';

let h: Harness;
let orderId: string;
beforeAll(async () => {
  h = await startHarness({ webhooks: false });
  orderId = await aCapturedOrder(h, 9_000);
});
afterAll(() => h?.close());

const get = async (url: string, headers?: Record<string, string>) =>
  h.payments.app.inject({ method: 'GET', url, headers: headers ?? (await asAdmin(h.payments)) });
const postRefund = (id: string, body: object, headers: Record<string, string>) =>
  h.payments.app.inject({ method: 'POST', url: `/api/payments/orders/${id}/refunds`, headers, payload: body });
/** An admin's headers with an Idempotency-Key. */
const adminWithKey = async (key: string) => ({ ...(await asAdmin(h.payments)), 'idempotency-key': key });

describe('admin routes: role admin only', () => {
  it.each([
    ['GET', '/api/payments/orders/00000000-0000-4000-8000-000000000000'],
    ['GET', '/api/payments/ledger'],
    ['GET', '/api/payments/reconciliation/findings'],
    ['POST', '/api/payments/orders/00000000-0000-4000-8000-000000000000/refunds'],
  ])('when %s %s is called without a token, then 401; as a customer or support, then 403', async (method, url) => {
    const call = (headers: Record<string, string>) =>
      h.payments.app.inject({
        method: method as 'GET',
        url,
        headers: { ...headers, 'idempotency-key': 'k-1' },
        ...(method === 'POST' ? { payload: { amount: 1 } } : {}),
      });
    expectProblem(await call({}), 401, 'unauthenticated');
    expectProblem(await call(await as(h.payments, { customer: 'cust-1' })), 403, 'forbidden');
    expectProblem(await call(await as(h.payments, SUPPORT)), 403, 'forbidden');
  });

  it('when an admin reads an order’s payment, then it shows the payment, its operations with their keys, and the ledger; never the card token', async () => {
    const res = await get(`/api/payments/orders/${orderId}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.payment).toMatchObject({
      orderId,
      status: 'captured',
      amount: { amount: 9_000, currency: 'EUR' },
      captured: { amount: 9_000, currency: 'EUR' },
    });
    expect(body.operations.map((o: any) => [o.kind, o.status])).toEqual([
      ['authorize', 'succeeded'],
      ['capture', 'succeeded'],
    ]);
    expect(body.operations[0].idempotencyKey).toBe(`emporium-${body.operations[0].id}`);
    expect(body.ledger.map((e: any) => e.kind)).toEqual(['authorization', 'capture']);
    expect(res.body).not.toContain('pm_card');
  });

  it('when an admin reads the ledger of an order, then every money movement is listed in order', async () => {
    const res = await get(`/api/payments/ledger?orderId=${orderId}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().data.map((e: any) => [e.kind, e.amount.amount, e.source])).toEqual([
      ['authorization', 9_000, 'worker'],
      ['capture', 9_000, 'worker'],
    ]);
  });

  it('when an order has no payment, then 404 payment_not_found', async () => {
    expectProblem(await get(`/api/payments/orders/${randomUUID()}`), 404, 'payment_not_found');
  });
});

describe('POST /api/payments/orders/:orderId/refunds', () => {
  it('when no Idempotency-Key is sent, then 400 idempotency_key_required', async () => {
    expectProblem(await postRefund(orderId, { amount: 100 }, await asAdmin(h.payments)), 400, 'idempotency_key_required');
  });

  it('when an admin refunds with a key, then 202, the provider refunds once, the same key answers the same refund, another amount with it → 422', async () => {
    const key = `refund-${randomUUID()}`;
    const first = await postRefund(orderId, { amount: 2_000, reason: 'damaged in transit' }, await adminWithKey(key));
    expect(first.statusCode).toBe(202);
    const refund = first.json();
    expect(refund).toMatchObject({ orderId, origin: 'admin', amount: { amount: 2_000, currency: 'EUR' }, reason: 'damaged in transit' });

    const published = await h.replies.next(orderId, 'payments.refund.succeeded.v1');
    expect(published.data).toMatchObject({ refundId: refund.refundId, amount: { amount: 2_000, currency: 'EUR' } });

    const again = await postRefund(orderId, { amount: 2_000 }, await adminWithKey(key));
    expect(again.statusCode).toBe(202);
    expect(again.json()).toMatchObject({ refundId: refund.refundId, status: 'succeeded', providerRefundId: expect.stringMatching(/^re_/) });
    expect((await providerLedger(h, orderId)).refunds.map((r) => r.amount)).toEqual([2_000]);

    expectProblem(await postRefund(orderId, { amount: 2_500 }, await adminWithKey(key)), 422, 'idempotency_key_reused');
    const view = (await get(`/api/payments/orders/${orderId}`)).json();
    expect(view.refunds).toEqual([expect.objectContaining({ refundId: refund.refundId, status: 'succeeded' })]);
    expect(view.payment.refunded).toEqual({ amount: 2_000, currency: 'EUR' });
  });

  it('when the refund is more than what is left, then 422 refund_exceeds_capture and nothing is reserved', async () => {
    const res = await postRefund(orderId, { amount: 1_000_000 }, await adminWithKey(`k-${randomUUID()}`));
    expectProblem(res, 422, 'refund_exceeds_capture');
    expect((await get(`/api/payments/orders/${orderId}`)).json().payment.refundPending).toEqual({ amount: 0, currency: 'EUR' });
  });

  it('when the order has no payment, then 404; when the body has unknown properties, then 400', async () => {
    expectProblem(await postRefund(randomUUID(), { amount: 5 }, await adminWithKey('k-2')), 404, 'payment_not_found');
    expectProblem(await postRefund(orderId, { amount: 5, status: 'succeeded' }, await adminWithKey('k-3')), 400, 'validation_failed');
  });

  it('lists its routes in the OpenAPI document', async () => {
    const doc = (await h.payments.app.inject('/docs/json')).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/payments/orders/{orderId}',
        '/api/payments/orders/{orderId}/refunds',
        '/api/payments/my/orders/{orderId}',
        '/api/payments/ledger',
        '/api/payments/reconciliation/findings',
        '/api/payments/webhooks/provider',
      ]),
    );
  });
});
