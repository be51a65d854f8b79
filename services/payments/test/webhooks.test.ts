import { randomUUID } from 'node:crypto';
import { waitFor } from '@emporium/testing';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  anAuthorize,
  asAdmin,
  authorize,
  expectProblem,
  type Harness,
  metric,
  operationsOf,
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
      headers: await asAdmin(h.payments),
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

describe('a webhook that can teach nothing new is not read again from the provider', () => {
  let quiet: Harness;
  beforeAll(async () => {
    // An unanswered call is tried again only after a minute: only a webhook can make it sooner.
    quiet = await startHarness({ env: { PAYMENTS_RETRY_DELAYS_MS: '60000' } });
  });
  afterEach(() => quiet.provider.clearFaults());
  afterAll(() => quiet?.close());

  const calls = (method: string) => metric(quiet.payments, 'emporium_http_client_requests_total', { callee: 'payment-provider', method });
  const outcomes = async () => ({
    known: await metric(quiet.payments, 'emporium_payments_webhooks_total', { outcome: 'known' }),
    inFlight: await metric(quiet.payments, 'emporium_payments_webhooks_total', { outcome: 'in_flight' }),
    processed: await metric(quiet.payments, 'emporium_payments_webhooks_total', { outcome: 'processed' }),
  });
  const signedFor = (body: string, id: string) => signed(body, id, new Date(), quiet.webhookSecret);

  it('when an event reports the authorization we have already recorded, then it is recorded without reading the intent again', async () => {
    const order = anAuthorize();
    await authorize(quiet, order);
    await quiet.replies.next(order.orderId, 'payments.authorization.succeeded.v1');
    const intentId = (await paymentOf(quiet.payments, order.orderId))!.intent_id!;
    const intent = (await fetch(`${quiet.provider.url}/v1/payment_intents/${intentId}`, {
      headers: { authorization: `Bearer ${quiet.provider.secretKey}` },
    }).then((r) => r.json())) as { status: string };
    expect(intent.status).toBe('requires_capture');
    const [gets, before] = [await calls('GET'), await outcomes()];

    const body = JSON.stringify({
      id: `evt_${randomUUID()}`,
      type: 'payment_intent.amount_capturable_updated',
      created: 1,
      data: { object: intent },
    });
    const res = await quiet.payments.app.inject({
      method: 'POST',
      url: URL_PATH,
      headers: signedFor(body, JSON.parse(body).id),
      payload: body,
    });
    expect(res.json()).toEqual({ received: true, result: 'processed' });
    expect(await calls('GET')).toBe(gets);
    expect((await outcomes()).known).toBe(before.known + 1);
    // Still deduplicated by its id.
    const again = await quiet.payments.app.inject({
      method: 'POST',
      url: URL_PATH,
      headers: signedFor(body, JSON.parse(body).id),
      payload: body,
    });
    expect(again.json().result).toBe('duplicate');
    expect(await ourLedger(quiet.payments, order.orderId)).toHaveLength(1);
  });

  it('when the provider’s event arrives while our call is still waiting for its answer, then the answer records it and nothing is read again', async () => {
    // The provider authorizes (and sends its webhook) at once, but answers 700 ms later (our timeout is 1 s).
    await quiet.provider.setFaults([{ operation: 'create', kind: 'timeout_after_commit', ms: 700, times: 1 }]);
    const [gets, before] = [await calls('GET'), await outcomes()];
    const order = anAuthorize();
    await authorize(quiet, order);
    await quiet.replies.next(order.orderId, 'payments.authorization.succeeded.v1');

    await waitFor(async () => (await outcomes()).inFlight === before.inFlight + 1, {
      description: 'the webhook to meet the call in flight',
    });
    expect(await calls('GET')).toBe(gets);
    expect((await outcomes()).processed).toBe(before.processed);
    expect((await ourLedger(quiet.payments, order.orderId)).map((e) => [e.kind, e.source])).toEqual([['authorization', 'worker']]);
    expect(quiet.replies.of(order.orderId)).toHaveLength(1);
  });

  it('when our call’s answer is lost but the provider’s event came meanwhile, then the operation is sent again at once with the same key, not after its backoff', async () => {
    // The answer is held 2.5 s, past our 1 s timeout: the outcome is unknown, and the next try would come in a minute.
    await quiet.provider.setFaults([{ operation: 'create', kind: 'timeout_after_commit', ms: 2_500, times: 1 }]);
    const order = anAuthorize();
    await authorize(quiet, order);
    await waitFor(() => quiet.replies.of(order.orderId, 'payments.authorization.succeeded.v1')[0], {
      timeoutMs: 10_000,
      description: 'the authorization, well before the minute of backoff',
    });

    expect((await providerLedger(quiet, order.orderId)).authorizations).toHaveLength(1);
    const [op] = await operationsOf(quiet.payments, order.orderId);
    expect(op).toMatchObject({ status: 'succeeded', attempts: 2, idempotency_key: `emporium-${op!.id}`, outcome_unknown: false });
    expect(quiet.replies.of(order.orderId)).toHaveLength(1);
  });
});
