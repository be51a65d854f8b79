import { waitFor } from '@emporium/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { anAuthorize, authorize, capture, type Harness, operationsOf, providerLedger, startHarness } from './support/payments.js';

/**
 * The worker is woken by the database (a NOTIFY when an operation is recorded or rescheduled) and
 * sleeps until the next operation is due, not until its next poll. Its poll here is a minute: were
 * it polling, nothing below would happen within the few seconds each step is given.
 */
const POLL_MS = 60_000;
const PROMPTLY = { timeoutMs: 5_000 };

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ webhooks: false, env: { PAYMENTS_WORKER_POLL_MS: String(POLL_MS), PAYMENTS_RETRY_DELAYS_MS: '300' } });
});
afterEach(() => h.provider.clearFaults());
afterAll(() => h?.close());

const reply = (orderId: string, type: string) => () => h.replies.of(orderId, type)[0];

describe('the operation worker wakes when there is work, not on its poll', () => {
  it('when an authorize and then a capture are recorded, then the worker runs each at once although its poll is a minute', async () => {
    const order = anAuthorize();
    await authorize(h, order);
    await waitFor(reply(order.orderId, 'payments.authorization.succeeded.v1'), { ...PROMPTLY, description: 'the authorization' });

    await capture(h, order.orderId);
    await waitFor(reply(order.orderId, 'payments.capture.succeeded.v1'), { ...PROMPTLY, description: 'the capture' });

    expect((await providerLedger(h, order.orderId)).entries.map((e) => e.kind)).toEqual(['authorization', 'capture']);
    const ops = await operationsOf(h.payments, order.orderId);
    expect(ops.map((o) => [o.kind, o.status, o.attempts])).toEqual([
      ['authorize', 'succeeded', 1],
      ['capture', 'succeeded', 1],
    ]);
  });

  it('when the provider answers 503, then the operation is sent again when its retry is due (300 ms), with the same key, not at the next poll', async () => {
    await h.provider.setFaults([{ operation: 'create', kind: 'error_before_commit', status: 503, times: 1 }]);
    const order = anAuthorize();
    await authorize(h, order);
    await waitFor(reply(order.orderId, 'payments.authorization.succeeded.v1'), { ...PROMPTLY, description: 'the retried authorization' });

    expect((await providerLedger(h, order.orderId)).authorizations).toHaveLength(1);
    const [op] = await operationsOf(h.payments, order.orderId);
    expect(op).toMatchObject({ status: 'succeeded', attempts: 2, idempotency_key: `emporium-${op!.id}` });
  });

  it('when several orders are recorded at once, then each is authorized once, promptly', async () => {
    const orders = Array.from({ length: 12 }, () => anAuthorize());
    await Promise.all(orders.map((o) => authorize(h, o)));
    await waitFor(() => orders.every((o) => reply(o.orderId, 'payments.authorization.succeeded.v1')()), {
      ...PROMPTLY,
      description: 'every authorization',
    });
    const ledger = await h.provider.ledger();
    for (const o of orders) expect(ledger.filter((e) => e.order_id === o.orderId && e.kind === 'authorization')).toHaveLength(1);
  });
});
