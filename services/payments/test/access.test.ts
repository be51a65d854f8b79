import { randomUUID } from 'node:crypto';
import { allowed, type Principal, principalFromClaims } from '@emporium/auth';
import { bearerFor, type TestCaller, uniqueName } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PaymentAction, type PaymentSubject, paymentsPolicy } from '../src/policy.js';
import {
  anAuthorize,
  as,
  authorize,
  capture,
  EUR,
  expectProblem,
  type Harness,
  operationsOf,
  paymentOf,
  providerLedger,
  refund,
  SUPPORT,
  startHarness,
} from './support/payments.js';

/**
 * Zero trust in payments: who may read a payment and who may refund how much (policy.ts), with
 * real tokens from the test issuer. BOLA (OWASP API1): the owner reads, everyone else gets the
 * answer of an order that does not exist. Function level (API5): only admins reach admin routes.
 */

// ---- the policy, as a table (no HTTP)

const principal = (claims: Record<string, unknown>): Principal =>
  principalFromClaims({ sub: 'usr_1', client_id: 'admin-console', ...claims });

const customer = principal({ sub: 'cus_1', client_id: 'storefront', roles: ['customer'] });
const supportEu = principal({ sub: 'sup_1', roles: ['support'], region: 'eu' });
const merchandiser = principal({ sub: 'mer_1', roles: ['merchandiser'] });
const admin = principal({ sub: 'adm_1', roles: ['admin'], refund_limit: { amount: 50_00, currency: 'EUR' } });
const adminNoLimit = principal({ sub: 'adm_2', roles: ['admin'] });
const suspendedAdmin = principal({ sub: 'adm_3', roles: ['admin'], refund_limit: { amount: 50_00, currency: 'EUR' }, suspended: true });
const suspendedCustomer = principal({ sub: 'cus_9', client_id: 'storefront', roles: ['customer'], suspended: true });
const unknownRole = principal({ sub: 'usr_7', roles: ['root'] });
// A client-credentials token (sub = client_id) that claims the role admin gets nothing from it.
const serviceClaimingAdmin = principal({ sub: 'orders', client_id: 'orders', roles: ['admin'], scope: 'payments:refund' });

const paymentOfCus1 = { orderId: 'ord_1', customerId: 'cus_1' };
const paymentOfCus2 = { orderId: 'ord_2', customerId: 'cus_2' };
const aRefund = (amount: number, currency = 'EUR') => ({ orderId: 'ord_1', amount, currency });

const table: Array<[string, Principal, PaymentAction, PaymentSubject, object | undefined, boolean]> = [
  ['customer reads the payment of own order', customer, 'read', 'Payment', paymentOfCus1, true],
  ["customer reads the payment of another's order", customer, 'read', 'Payment', paymentOfCus2, false],
  ['customer reads the ledger', customer, 'read', 'Ledger', undefined, false],
  ['customer reads the findings', customer, 'read', 'Finding', undefined, false],
  ['customer refunds own order', customer, 'refund', 'Refund', aRefund(1), false],
  ['support reads a payment', supportEu, 'read', 'Payment', paymentOfCus1, false],
  ['support reads the ledger', supportEu, 'read', 'Ledger', undefined, false],
  ['support refunds', supportEu, 'refund', 'Refund', aRefund(1), false],
  ['merchandiser reads a payment', merchandiser, 'read', 'Payment', paymentOfCus1, false],
  ['merchandiser refunds', merchandiser, 'refund', 'Refund', aRefund(1), false],
  ['admin reads any payment', admin, 'read', 'Payment', paymentOfCus2, true],
  ['admin reads the ledger', admin, 'read', 'Ledger', undefined, true],
  ['admin reads the findings', admin, 'read', 'Finding', undefined, true],
  ['admin refunds at the limit', admin, 'refund', 'Refund', aRefund(50_00), true],
  ['admin refunds one cent over the limit', admin, 'refund', 'Refund', aRefund(50_01), false],
  ['admin refunds in another currency than the limit', admin, 'refund', 'Refund', aRefund(1, 'USD'), false],
  ['admin without a refund limit refunds', adminNoLimit, 'refund', 'Refund', aRefund(1), false],
  ['admin without a refund limit reads a payment', adminNoLimit, 'read', 'Payment', paymentOfCus1, true],
  ['suspended admin reads a payment', suspendedAdmin, 'read', 'Payment', paymentOfCus1, false],
  ['suspended admin refunds within the limit', suspendedAdmin, 'refund', 'Refund', aRefund(1), false],
  ['suspended customer reads own payment', suspendedCustomer, 'read', 'Payment', { orderId: 'o', customerId: 'cus_9' }, false],
  ['unknown role reads a payment', unknownRole, 'read', 'Payment', paymentOfCus1, false],
  ['service token claiming admin reads a payment', serviceClaimingAdmin, 'read', 'Payment', paymentOfCus1, false],
  ['service token claiming admin reads the ledger', serviceClaimingAdmin, 'read', 'Ledger', undefined, false],
];

describe('the payments policy', () => {
  it.each(table.map(([name, who, action, type, resource, expected]) => ({ name, who, action, type, resource, expected })))(
    '$name → $expected',
    ({ who, action, type, resource, expected }) => {
      expect(allowed(paymentsPolicy(who), action, type, resource)).toBe(expected);
    },
  );
});

// ---- over HTTP, with tokens of the test issuer

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ webhooks: false });
});
afterAll(() => h?.close());

/** Authorizes and captures an order of this customer; its id once the capture is published. */
async function aCapturedOrderOf(customerId: string, amount = 9_000): Promise<string> {
  const order = anAuthorize({ customerId, amount: EUR(amount) });
  await authorize(h, order);
  await h.replies.next(order.orderId, 'payments.authorization.succeeded.v1');
  await capture(h, order.orderId);
  await h.replies.next(order.orderId, 'payments.capture.succeeded.v1');
  return order.orderId;
}

const anAdmin = (refundLimit?: { amount: number; currency: string }): TestCaller & { sub: string } => ({
  roles: ['admin'],
  sub: uniqueName('usr_admin'),
  ...(refundLimit ? { refundLimit } : {}),
});

const get = async (url: string, caller?: TestCaller) =>
  h.payments.app.inject({ method: 'GET', url, headers: caller ? await as(h.payments, caller) : {} });

const postRefund = async (orderId: string, body: object, caller?: TestCaller, key = `k-${randomUUID()}`) =>
  h.payments.app.inject({
    method: 'POST',
    url: `/api/payments/orders/${orderId}/refunds`,
    headers: { ...(caller ? await as(h.payments, caller) : {}), 'idempotency-key': key },
    payload: body,
  });

/** What was recorded for refunds of the order (ours) and what the provider refunded (the oracle). */
async function refundsRecorded(orderId: string) {
  const ops = (await operationsOf(h.payments, orderId)).filter((op) => op.kind === 'refund');
  const payment = await paymentOf(h.payments, orderId);
  return { operations: ops.length, refundPending: payment?.refund_pending_amount, atProvider: (await providerLedger(h, orderId)).refunds };
}

describe('admin refunds: up to the refund limit, and who asked is recorded', () => {
  it('when an admin refunds within their limit, then 202, the provider refunds once, and the refund records the admin in the admin views', async () => {
    const customerId = uniqueName('cus');
    const orderId = await aCapturedOrderOf(customerId);
    const ada = anAdmin(EUR(5_000));

    const res = await postRefund(orderId, { amount: 5_000, reason: 'goodwill' }, ada);
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ orderId, origin: 'admin', amount: EUR(5_000), requestedBy: ada.sub });
    const { refundId } = res.json();
    await h.replies.next(orderId, 'payments.refund.succeeded.v1');
    expect((await providerLedger(h, orderId)).refunds.map((r) => r.amount)).toEqual([5_000]);

    // The audit trail: in the row written with the refund, and in the admin's view of the payment.
    const [row] = (await operationsOf(h.payments, orderId)).filter((op) => op.kind === 'refund');
    expect(row).toMatchObject({ origin: 'admin', requested_by: ada.sub, requested_token_id: expect.any(String) });
    const view = (await get(`/api/payments/orders/${orderId}`, anAdmin())).json();
    expect(view.refunds).toEqual([expect.objectContaining({ refundId, status: 'succeeded', requestedBy: ada.sub })]);
    expect(view.operations.map((op: any) => [op.kind, op.requestedBy])).toEqual([
      ['authorize', null],
      ['capture', null],
      ['refund', ada.sub],
    ]);

    // The customer sees the refund of their order, without who made it.
    const mine = await get(`/api/payments/my/orders/${orderId}`, { customer: customerId });
    expect(mine.statusCode).toBe(200);
    expect(mine.json().refunds).toEqual([
      { refundId, status: 'succeeded', amount: EUR(5_000), createdAt: expect.any(String), completedAt: expect.any(String) },
    ]);
    expect(mine.body).not.toContain(ada.sub);
  });

  it('when a refund asked by a message (the saga) is recorded, then it has no requester', async () => {
    const orderId = await aCapturedOrderOf(uniqueName('cus'));
    await refund(h, orderId, 1_000);
    await h.replies.next(orderId, 'payments.refund.succeeded.v1');
    const view = (await get(`/api/payments/orders/${orderId}`, anAdmin())).json();
    expect(view.refunds).toEqual([expect.objectContaining({ origin: 'command', requestedBy: null })]);
  });

  it.each([
    ['one cent over their limit', anAdmin(EUR(4_999)), 5_000],
    ['with a limit in another currency', anAdmin({ amount: 1_000_000, currency: 'USD' }), 100],
    ['without a refund limit', anAdmin(), 100],
  ])(
    'when an admin refunds %s, then 403 forbidden, nothing is recorded and the provider refunds nothing',
    async (_case, caller, amount) => {
      const orderId = await aCapturedOrderOf(uniqueName('cus'));
      expectProblem(await postRefund(orderId, { amount }, caller), 403, 'forbidden');
      expect(await refundsRecorded(orderId)).toEqual({ operations: 0, refundPending: 0, atProvider: [] });
    },
  );

  it('when a key already used within the limit is replayed by an admin whose limit is lower, then 403 and the first refund is not shown', async () => {
    const orderId = await aCapturedOrderOf(uniqueName('cus'));
    const key = `k-${randomUUID()}`;
    expect((await postRefund(orderId, { amount: 3_000 }, anAdmin(EUR(5_000)), key)).statusCode).toBe(202);
    const replay = await postRefund(orderId, { amount: 3_000 }, anAdmin(EUR(1_000)), key);
    expectProblem(replay, 403, 'forbidden');
    expect(replay.body).not.toContain('refundId');
  });

  it.each([
    ['support', SUPPORT],
    ['a merchandiser', { roles: ['merchandiser'] } as TestCaller],
    ['a customer, on their own order', 'owner' as const],
    ['a suspended admin with a limit', { ...anAdmin(EUR(1_000_000)), suspended: true } as TestCaller],
  ])('when %s asks for a refund, then 403 forbidden and nothing is recorded', async (_who, who) => {
    const customerId = uniqueName('cus');
    const orderId = await aCapturedOrderOf(customerId);
    const caller: TestCaller = who === 'owner' ? { customer: customerId } : who;
    expectProblem(await postRefund(orderId, { amount: 100 }, caller), 403, 'forbidden');
    expect(await refundsRecorded(orderId)).toEqual({ operations: 0, refundPending: 0, atProvider: [] });
  });

  it.each([
    ['status', { amount: 100, status: 'succeeded' }],
    ['customerId', { amount: 100, customerId: 'cus_mallory' }],
    ['requestedBy', { amount: 100, requestedBy: 'usr_someone_else' }],
    ['currency', { amount: 100, currency: 'USD' }],
  ])('when the refund body also sets %s, then 400 validation_failed and nothing is recorded', async (_field, body) => {
    const orderId = await aCapturedOrderOf(uniqueName('cus'));
    expectProblem(await postRefund(orderId, body, anAdmin(EUR(1_000_000))), 400, 'validation_failed');
    expect(await refundsRecorded(orderId)).toEqual({ operations: 0, refundPending: 0, atProvider: [] });
  });
});

describe('BOLA: the payment of an order, by order id', () => {
  let owner: string;
  let orderId: string;
  beforeAll(async () => {
    owner = uniqueName('cus');
    orderId = await aCapturedOrderOf(owner, 4_200);
  });

  it('when the owner reads /my/orders/:orderId, then 200 with the status and amounts and no internal field', async () => {
    const res = await get(`/api/payments/my/orders/${orderId}`, { customer: owner });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      orderId,
      status: 'captured',
      amount: EUR(4_200),
      captured: EUR(4_200),
      refunded: EUR(0),
      refunds: [],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const intentId = (await paymentOf(h.payments, orderId))!.intent_id!;
    for (const internal of [intentId, 'emporium-', 'pm_card', owner]) expect(res.body).not.toContain(internal);
  });

  it.each([
    ['another customer', { customer: uniqueName('mallory') } as TestCaller],
    ['support of another region', { roles: ['support'], region: 'us' } as TestCaller],
    ['support of any region', SUPPORT],
    ['a merchandiser', { roles: ['merchandiser'] } as TestCaller],
  ])('when %s reads it, then 404 payment_not_found, as for an order that has no payment', async (_who, caller) => {
    const foreign = await get(`/api/payments/my/orders/${orderId}`, caller);
    const missing = await get(`/api/payments/my/orders/${randomUUID()}`, caller);
    expectProblem(foreign, 404, 'payment_not_found');
    expectProblem(missing, 404, 'payment_not_found');
    expect(foreign.body).not.toContain('4200');
  });

  it('when nobody is signed in, then 401; a token for another service or a suspended owner are refused', async () => {
    expectProblem(await get(`/api/payments/my/orders/${orderId}`), 401, 'unauthenticated');
    expectProblem(await get(`/api/payments/my/orders/not-a-uuid`), 401, 'unauthenticated');
    const forOrders = await h.payments.app.inject({
      url: `/api/payments/my/orders/${orderId}`,
      headers: await bearerFor('orders', { customer: owner }),
    });
    expectProblem(forOrders, 401, 'invalid_token');
    expectProblem(await get(`/api/payments/my/orders/${orderId}`, { customer: owner, suspended: true }), 403, 'forbidden');
  });

  it.each([
    ['the owner', 403, 'forbidden', 'owner' as const],
    ['another customer', 403, 'forbidden', { customer: uniqueName('mallory') } as TestCaller],
    ['support of another region', 403, 'forbidden', { roles: ['support'], region: 'us' } as TestCaller],
    ['nobody', 401, 'unauthenticated', undefined],
  ])(
    'when %s reads the admin view of the payment, then %i %s, the same for an order without a payment',
    async (_who, status, code, who) => {
      const caller = who === 'owner' ? { customer: owner } : who;
      expectProblem(await get(`/api/payments/orders/${orderId}`, caller), status, code);
      expectProblem(await get(`/api/payments/orders/${randomUUID()}`, caller), status, code);
    },
  );

  it('when an admin reads the admin view, then 200 with the customer and the provider details', async () => {
    const res = await get(`/api/payments/orders/${orderId}`, anAdmin());
    expect(res.statusCode).toBe(200);
    expect(res.json().payment).toMatchObject({ orderId, customerId: owner, providerIntentId: expect.stringMatching(/^pi_/) });
  });
});

describe('function level: admin routes refuse everyone but admins', () => {
  it.each([
    ['GET', '/api/payments/ledger'],
    ['GET', '/api/payments/reconciliation/findings'],
  ])('when a customer, support or a merchandiser calls %s %s, then 403; nobody, then 401; an admin, then 200', async (method, url) => {
    const call = async (caller?: TestCaller) =>
      h.payments.app.inject({ method: method as 'GET', url, headers: caller ? await as(h.payments, caller) : {} });
    expectProblem(await call(), 401, 'unauthenticated');
    for (const caller of [{ customer: uniqueName('cus') }, SUPPORT, { roles: ['merchandiser'] }] as TestCaller[]) {
      expectProblem(await call(caller), 403, 'forbidden');
    }
    expect((await call(anAdmin())).statusCode).toBe(200);
  });
});
