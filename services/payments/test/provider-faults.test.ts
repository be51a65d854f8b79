import { waitFor } from '@emporium/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  aCapturedOrder,
  anAuthorize,
  authorize,
  capture,
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

/**
 * The provider's failures (RELIABILITY.md F3, F4, F7): our timeout is 1 s; an operation whose
 * outcome is unknown is sent again after 600 ms with the SAME key, and the sandbox replays what
 * it did. Exactly one money movement per intent, whatever the fault.
 */
let h: Harness;
beforeAll(async () => {
  // No webhooks here: the worker alone must resolve every unknown outcome.
  h = await startHarness({ webhooks: false, env: { PAYMENTS_RETRY_DELAYS_MS: '600' } });
});
afterEach(() => h.provider.clearFaults());
afterAll(() => h?.close());

const httpCalls = (method: string) =>
  metric(h.payments, 'emporium_http_client_requests_total', { callee: 'payment-provider', method }).then((n) => n);

describe('unknown outcomes are resolved with the same key, never by charging again', () => {
  it('when the provider authorizes but its answer comes after our timeout (the incident), then the retry with the same key gets the success and there is exactly one authorization', async () => {
    await h.provider.setFaults([{ operation: 'create', kind: 'timeout_after_commit', ms: 2_500, times: 1 }]);
    const order = anAuthorize({ amount: EUR(7_000) });
    await authorize(h, order);

    // While the outcome is unknown the operation stays pending, counted by the gauge.
    await waitFor(async () => (await operationsOf(h.payments, order.orderId))[0]?.outcome_unknown === true, {
      description: 'the authorization to be recorded as unknown',
    });
    expect(await metric(h.payments, 'emporium_payments_unknown_outcome')).toBeGreaterThanOrEqual(1);
    expect(await paymentOf(h.payments, order.orderId)).toMatchObject({ status: 'authorizing' });

    const reply = await h.replies.next(order.orderId, 'payments.authorization.succeeded.v1');
    expect(reply.data).toMatchObject({ amount: EUR(7_000) });
    expect((await providerLedger(h, order.orderId)).authorizations).toHaveLength(1);
    const ops = await operationsOf(h.payments, order.orderId);
    expect(ops).toHaveLength(1);
    expect(ops[0]).toMatchObject({
      kind: 'authorize',
      status: 'succeeded',
      idempotency_key: `emporium-${ops[0]!.id}`,
      outcome_unknown: false,
    });
    expect(ops[0]!.attempts).toBeGreaterThanOrEqual(2);
    expect(
      await metric(h.payments, 'emporium_payments_operations_total', { kind: 'authorize', outcome: 'unknown' }),
    ).toBeGreaterThanOrEqual(1);
    expect(await metric(h.payments, 'emporium_payments_unknown_outcome')).toBe(0);
  });

  it('when the capture commits but its answer times out, then it is resolved with the same key and the provider captured exactly once', async () => {
    const order = anAuthorize({ amount: EUR(5_000) });
    await authorize(h, order);
    await h.replies.next(order.orderId, 'payments.authorization.succeeded.v1');
    await h.provider.setFaults([{ operation: 'capture', kind: 'timeout_after_commit', ms: 2_500, times: 1 }]);
    await capture(h, order.orderId);

    const reply = await h.replies.next(order.orderId, 'payments.capture.succeeded.v1');
    expect(reply.data).toMatchObject({ amount: EUR(5_000) });
    expect((await providerLedger(h, order.orderId)).captures).toHaveLength(1);
    const captureOp = (await operationsOf(h.payments, order.orderId)).find((o) => o.kind === 'capture')!;
    expect(captureOp.attempts).toBeGreaterThanOrEqual(2);
    expect(h.replies.of(order.orderId, 'payments.capture.succeeded.v1')).toHaveLength(1);
  });

  it('when the provider fails with a 5xx before doing anything, then the retry with the same key authorizes once', async () => {
    await h.provider.setFaults([{ operation: 'create', kind: 'error_before_commit', status: 503, times: 1 }]);
    const order = anAuthorize();
    await authorize(h, order);
    await h.replies.next(order.orderId, 'payments.authorization.succeeded.v1');
    expect((await providerLedger(h, order.orderId)).authorizations).toHaveLength(1);
    const [op] = await operationsOf(h.payments, order.orderId);
    expect(op).toMatchObject({ status: 'succeeded', attempts: 2, last_error: 'upstream_unavailable' });
  });

  it('when the provider authorizes and then answers 500, then the retry with the same key is answered with the stored success: one authorization', async () => {
    await h.provider.setFaults([{ operation: 'create', kind: 'error_after_commit', status: 500, times: 1 }]);
    const order = anAuthorize();
    await authorize(h, order);
    await h.replies.next(order.orderId, 'payments.authorization.succeeded.v1');
    expect((await providerLedger(h, order.orderId)).authorizations).toHaveLength(1);
    const [op] = await operationsOf(h.payments, order.orderId);
    expect(op).toMatchObject({ status: 'succeeded', attempts: 2, last_error: 'answered 500' });
  });

  it('when the provider throttles (429 with Retry-After), then the operation waits and succeeds once', async () => {
    await h.provider.setFaults([{ operation: 'create', kind: 'error_before_commit', status: 429, retry_after: 1, times: 1 }]);
    const order = anAuthorize();
    await authorize(h, order);
    await h.replies.next(order.orderId, 'payments.authorization.succeeded.v1');
    expect((await providerLedger(h, order.orderId)).authorizations).toHaveLength(1);
    expect(
      await metric(h.payments, 'emporium_payments_operations_total', { kind: 'authorize', outcome: 'retry_later' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('when a refund commits but its answer times out, then the retry reuses the refund’s key: one refund at the provider (F7)', async () => {
    const orderId = await aCapturedOrder(h, 8_000);
    await h.provider.setFaults([{ operation: 'refund', kind: 'timeout_after_commit', ms: 2_500, times: 1 }]);
    const envelope = await refund(h, orderId, 3_000);
    const reply = await h.replies.next(orderId, 'payments.refund.succeeded.v1');
    expect(reply.data).toMatchObject({ orderId, refundId: envelope.data.refundId, amount: EUR(3_000) });
    const ledger = await providerLedger(h, orderId);
    expect(ledger.refunds.map((r) => r.amount)).toEqual([3_000]);
    expect(await paymentOf(h.payments, orderId)).toMatchObject({ refunded_amount: 3_000, refund_pending_amount: 0 });
    expect((await ourLedger(h.payments, orderId)).filter((e) => e.kind === 'refund').map((e) => e.amount)).toEqual([3_000]);
  });

  it('when nothing fails, then an authorization costs exactly one POST (the baseline the retention test counts against)', async () => {
    const before = await httpCalls('POST');
    const order = anAuthorize();
    await authorize(h, order);
    await h.replies.next(order.orderId, 'payments.authorization.succeeded.v1');
    expect((await httpCalls('POST')) - before).toBe(1);
  });
});

describe('keys older than the provider’s retention', () => {
  let old: Harness;
  beforeAll(async () => {
    // A key is trusted for 1.5 s only: the first retry after a 1 s timeout finds it too old to send.
    old = await startHarness({ webhooks: false, env: { PAYMENT_PROVIDER_KEY_RETENTION_MS: '1500', PAYMENTS_RETRY_DELAYS_MS: '800' } });
  });
  afterAll(() => old?.close());

  it('when the outcome of an old key is unknown, then it is looked up (search by order) and never sent again', async () => {
    await old.provider.setFaults([{ operation: 'create', kind: 'timeout_after_commit', ms: 2_500, times: 1 }]);
    const order = anAuthorize();
    await authorize(old, order);
    await old.replies.next(order.orderId, 'payments.authorization.succeeded.v1');
    expect((await providerLedger(old, order.orderId)).authorizations).toHaveLength(1);
    // One POST (the first), then a search: the key was not sent a second time.
    expect(await metric(old.payments, 'emporium_http_client_requests_total', { callee: 'payment-provider', method: 'POST' })).toBe(1);
    expect(
      await metric(old.payments, 'emporium_http_client_requests_total', { callee: 'payment-provider', method: 'GET' }),
    ).toBeGreaterThanOrEqual(1);
    expect((await ourLedger(old.payments, order.orderId)).map((e) => [e.kind, e.source])).toEqual([['authorization', 'reconciliation']]);
  });
});
