import { randomUUID } from 'node:crypto';
import { waitFor } from '@emporium/testing';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  anAuthorize,
  authorize,
  expectProblem,
  type Harness,
  metric,
  ourLedger,
  paymentOf,
  providerLedger,
  startHarness,
} from './support/payments.js';

/** Provider webhooks (F5): verified on the raw body, deduplicated, hints only (re-read), out-of-order safe. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterEach(() => h.provider.clearFaults());
afterAll(() => h?.close());

const URL_PATH = '/api/payments/webhooks/provider';

/** Signs a body as the provider does (Standard Webhooks), at a given time. */
function signed(body: string, id: string, at = new Date(), secret = h.webhookSecret) {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}

const eventRecorded = async (id: string) =>
  (await h.payments.ctx.db.selectFrom('webhook_events').select('event_id').where('event_id', '=', id).executeTakeFirst()) !== undefined;

const deliver = (body: string, headers: Record<string, string>) =>
  h.payments.app.inject({ method: 'POST', url: URL_PATH, headers, payload: body });

const provider = (method: string, path: string, body?: object, key?: string) =>
  fetch(`${h.provider.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${h.provider.secretKey}`,
      'content-type': 'application/json',
      ...(key ? { 'idempotency-key': key } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  }).then(async (r) => ({ status: r.status, json: (await r.json()) as any }));

/** An order waiting for 3-D Secure: authorize with the test card that requires action, until the intent exists. */
async function anOrderAwaitingAction() {
  const order = anAuthorize({ paymentMethod: 'pm_card_authenticationRequired' });
  await authorize(h, order);
  const payment = await waitFor(async () => {
    const p = await paymentOf(h.payments, order.orderId);
    return p?.status === 'requires_action' ? p : undefined;
  });
  return { order, intentId: payment.intent_id! };
}

describe('a valid webhook is a hint: the intent is read again', () => {
  it('when the customer completes the authentication, then the provider’s webhook makes payments re-read the intent and answer authorization.succeeded', async () => {
    const { order, intentId } = await anOrderAwaitingAction();
    // The worker would not look again for 10 minutes (PAYMENTS_ACTION_RECHECK_MS): only the webhook can wake it.
    const processed = await metric(h.payments, 'emporium_payments_webhooks_total', { outcome: 'processed' });
    const done = await provider('POST', `/v1/test/payment_intents/${intentId}/complete_action`, {});
    expect(done.status).toBe(200);

    const reply = await h.replies.next(order.orderId, 'payments.authorization.succeeded.v1');
    expect(reply.data).toMatchObject({ orderId: order.orderId });
    expect(await paymentOf(h.payments, order.orderId)).toMatchObject({ status: 'authorized' });
    expect(await metric(h.payments, 'emporium_payments_webhooks_total', { outcome: 'processed' })).toBeGreaterThan(processed);
    expect((await ourLedger(h.payments, order.orderId)).map((e) => [e.kind, e.source])).toEqual([['authorization', 'webhook']]);
  });

  it('when the customer fails the authentication, then the webhook leads to authorization.failed', async () => {
    const { order, intentId } = await anOrderAwaitingAction();
    await provider('POST', `/v1/test/payment_intents/${intentId}/complete_action`, { outcome: 'fail' });
    const reply = await h.replies.next(order.orderId, 'payments.authorization.failed.v1');
    expect(reply.data).toMatchObject({ orderId: order.orderId, code: 'card_declined' });
    expect((await providerLedger(h, order.orderId)).authorizations).toHaveLength(0);
  });

  it('when the provider captures an intent of ours that we never asked to capture, then the webhook records the capture and flags it', async () => {
    const order = anAuthorize();
    await authorize(h, order);
    await h.replies.next(order.orderId, 'payments.authorization.succeeded.v1');
    const intentId = (await paymentOf(h.payments, order.orderId))!.intent_id!;
    expect((await provider('POST', `/v1/payment_intents/${intentId}/capture`, {}, `outside-${randomUUID()}`)).status).toBe(200);

    await waitFor(async () => (await paymentOf(h.payments, order.orderId))?.status === 'captured', {
      description: 'the capture to be recorded',
    });
    expect((await ourLedger(h.payments, order.orderId)).map((e) => e.kind)).toEqual(['authorization', 'capture']);
    const findings = await h.payments.app.inject({
      url: `/api/payments/reconciliation/findings?orderId=${order.orderId}`,
      headers: { 'x-emporium-role': 'admin' },
    });
    expect(findings.json().data).toEqual([expect.objectContaining({ kind: 'missed_capture', action: 'recorded', providerRef: intentId })]);
  });
});

describe('forged and stale webhooks have no effect', () => {
  async function anEventBody() {
    const { intentId } = await anOrderAwaitingAction();
    return JSON.stringify({
      id: `evt_${randomUUID()}`,
      type: 'payment_intent.amount_capturable_updated',
      created: 1,
      data: { object: { id: intentId } },
    });
  }

  it('when the signature is made with another secret, then 400 invalid_signature and nothing is recorded', async () => {
    const body = await anEventBody();
    const invalid = await metric(h.payments, 'emporium_payments_webhooks_total', { outcome: 'invalid_signature' });
    const res = await deliver(body, signed(body, JSON.parse(body).id, new Date(), `whsec_${Buffer.alloc(32, 7).toString('base64')}`));
    expectProblem(res, 400, 'invalid_signature');
    expect(await eventRecorded(JSON.parse(body).id)).toBe(false);
    expect(await metric(h.payments, 'emporium_payments_webhooks_total', { outcome: 'invalid_signature' })).toBe(invalid + 1);
    // Delivered again, correctly signed, the same event is processed: the forged copy left no trace.
    expect((await deliver(body, signed(body, JSON.parse(body).id))).json().result).toBe('processed');
  });

  it('when the body was changed after signing (one byte), then 400 invalid_signature', async () => {
    const body = await anEventBody();
    const headers = signed(body, JSON.parse(body).id);
    expectProblem(await deliver(body.replace('"created":1', '"created":2'), headers), 400, 'invalid_signature');
    // Same JSON, other bytes: the signature is over the raw body, not over a re-serialisation.
    expectProblem(await deliver(body.replace('{', '{ '), headers), 400, 'invalid_signature');
  });

  it('when the timestamp is ten minutes old (a replay) or ahead, or the headers are missing, then 400 invalid_signature and nothing is recorded', async () => {
    const body = await anEventBody();
    expectProblem(await deliver(body, signed(body, JSON.parse(body).id, new Date(Date.now() - 10 * 60_000))), 400, 'invalid_signature');
    expectProblem(await deliver(body, signed(body, JSON.parse(body).id, new Date(Date.now() + 10 * 60_000))), 400, 'invalid_signature');
    expectProblem(await deliver(body, { 'content-type': 'application/json' }), 400, 'invalid_signature');
    expect(await eventRecorded(JSON.parse(body).id)).toBe(false);
  });
});

describe('duplicate and reordered webhooks have one effect', () => {
  it('when the same event is delivered twice, then the second is a duplicate and changes nothing', async () => {
    const { order, intentId } = await anOrderAwaitingAction();
    await provider('POST', `/v1/test/payment_intents/${intentId}/complete_action`, {});
    await h.replies.next(order.orderId, 'payments.authorization.succeeded.v1');
    const body = JSON.stringify({
      id: `evt_${randomUUID()}`,
      type: 'payment_intent.amount_capturable_updated',
      created: 1,
      data: { object: { id: intentId } },
    });
    const first = await deliver(body, signed(body, JSON.parse(body).id));
    const second = await deliver(body, signed(body, JSON.parse(body).id));
    expect([first.json().result, second.json().result]).toEqual(['processed', 'duplicate']);
    expect(h.replies.of(order.orderId, 'payments.authorization.succeeded.v1')).toHaveLength(1);
    expect(await ourLedger(h.payments, order.orderId)).toHaveLength(1);
  });

  it('when the provider sends every event three times, then the authorization is answered once and recorded once', async () => {
    await h.provider.setFaults([{ operation: 'webhook', kind: 'duplicate', copies: 3 }]);
    const { order, intentId } = await anOrderAwaitingAction();
    await provider('POST', `/v1/test/payment_intents/${intentId}/complete_action`, {});
    await h.replies.next(order.orderId, 'payments.authorization.succeeded.v1');
    await waitFor(async () => (await metric(h.payments, 'emporium_payments_webhooks_total', { outcome: 'duplicate' })) >= 2, {
      description: 'the copies to arrive',
    });
    expect(h.replies.of(order.orderId, 'payments.authorization.succeeded.v1')).toHaveLength(1);
    expect(await ourLedger(h.payments, order.orderId)).toHaveLength(1);
  });

  it('when an older event arrives after a newer one (requires_action after the authorization), then the state does not go back', async () => {
    const { order, intentId } = await anOrderAwaitingAction();
    await provider('POST', `/v1/test/payment_intents/${intentId}/complete_action`, {});
    await h.replies.next(order.orderId, 'payments.authorization.succeeded.v1');
    // A late copy of the first event, with the intent as it was then: a hint only, the provider now says requires_capture.
    const stale = JSON.stringify({
      id: `evt_${randomUUID()}`,
      type: 'payment_intent.requires_action',
      created: 1,
      data: { object: { id: intentId, object: 'payment_intent', status: 'requires_action' } },
    });
    expect((await deliver(stale, signed(stale, JSON.parse(stale).id))).json().result).toBe('processed');
    expect(await paymentOf(h.payments, order.orderId)).toMatchObject({ status: 'authorized' });
    expect(h.replies.of(order.orderId)).toHaveLength(1);
  });

  it('when the provider holds events and sends them newest first, then the order still ends authorized, answered once', async () => {
    await h.provider.setFaults([{ operation: 'webhook', kind: 'shuffle', count: 2, ms: 1_000 }]);
    const { order, intentId } = await anOrderAwaitingAction();
    await provider('POST', `/v1/test/payment_intents/${intentId}/complete_action`, {});
    await h.replies.next(order.orderId, 'payments.authorization.succeeded.v1');
    expect(await paymentOf(h.payments, order.orderId)).toMatchObject({ status: 'authorized' });
    expect(h.replies.of(order.orderId)).toHaveLength(1);
    expect((await providerLedger(h, order.orderId)).authorizations).toHaveLength(1);
  });
});
