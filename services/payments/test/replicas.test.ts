import { startTestService, type TestService } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentsConfig, PaymentsDatabase } from '../src/index.js';
import { anAuthorize, authorize, FAST, type Harness, isolatedPaymentsModule, metric, startHarness } from './support/payments.js';

/**
 * Two replicas of payments on one database and one queue: each operation is claimed and sent by
 * one of them, once. The provider timeout is long here: a call that times out on a loaded machine
 * is sent again with its key (correct, and tested elsewhere), which would blur the count this test
 * is about — two replicas never sending the same operation.
 */
const PATIENT = { PAYMENT_PROVIDER_TIMEOUT_MS: '10000', PAYMENTS_WORKER_LEASE_MS: '30000' };
let h: Harness;
let second: TestService<PaymentsDatabase, PaymentsConfig>;
beforeAll(async () => {
  h = await startHarness({ webhooks: false, env: PATIENT });
  second = await startTestService(
    isolatedPaymentsModule(h.payments.name),
    {
      DATABASE_URL: h.payments.ctx.db.url,
      PAYMENT_PROVIDER_URL: h.provider.url,
      PAYMENT_PROVIDER_SECRET_KEY: h.provider.secretKey,
      PAYMENT_PROVIDER_WEBHOOK_SECRET: h.webhookSecret,
      ...FAST,
      ...PATIENT,
    },
    { transport: h.payments.transport },
  );
});
afterAll(async () => {
  await second?.close();
  await h?.close();
});

describe('several replicas', () => {
  it('when two replicas work the same operations, then every order is authorized once and every key is sent once', async () => {
    const orders = Array.from({ length: 24 }, () => anAuthorize());
    await Promise.all(orders.map((o) => authorize(h, o)));
    await Promise.all(orders.map((o) => h.replies.next(o.orderId, 'payments.authorization.succeeded.v1')));

    const ledger = await h.provider.ledger();
    for (const o of orders) expect(ledger.filter((e) => e.order_id === o.orderId && e.kind === 'authorization')).toHaveLength(1);
    const posts = (s: typeof second) => metric(s, 'emporium_http_client_requests_total', { callee: 'payment-provider', method: 'POST' });
    expect((await posts(h.payments)) + (await posts(second))).toBe(orders.length);
    const ops = await h.payments.ctx.db.selectFrom('payment_operations').select(['attempts', 'status']).execute();
    expect(ops.filter((o) => o.status === 'succeeded' && o.attempts === 1)).toHaveLength(orders.length);
    for (const o of orders) expect(h.replies.of(o.orderId, 'payments.authorization.succeeded.v1')).toHaveLength(1);
  });
});
