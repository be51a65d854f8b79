import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aCapturedIntent, anOrderId, type Client, clientOf, type Sandbox, startSandbox } from './support.js';

let sandbox: Sandbox;
let client: Client;
beforeAll(async () => {
  sandbox = await startSandbox();
  client = clientOf(sandbox);
});
afterAll(() => sandbox?.close());

describe('authorize and capture', () => {
  it('when an intent is created and confirmed with a good card, then it requires capture and the ledger shows the authorization', async () => {
    const orderId = anOrderId();
    const res = await client.createIntent({ amount: 4_200, currency: 'EUR', metadata: { order_id: orderId, cart: 'c-1' } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      object: 'payment_intent',
      amount: 4_200,
      currency: 'eur',
      status: 'requires_capture',
      capture_method: 'manual',
      amount_capturable: 4_200,
      amount_received: 0,
      metadata: { order_id: orderId, cart: 'c-1' },
      last_payment_error: null,
    });
    expect(res.json.id).toMatch(/^pi_/);
    expect(res.json.latest_charge).toMatch(/^ch_/);
    expect(Number.isInteger(res.json.created)).toBe(true);
    expect(await sandbox.ledger(orderId)).toEqual([
      { at: expect.any(String), kind: 'authorization', payment_intent: res.json.id, amount: 4_200, currency: 'eur', order_id: orderId },
    ]);
  });

  it('when an authorized intent is captured, then it succeeds with the amount received and the ledger shows authorization then capture', async () => {
    const orderId = anOrderId();
    const created = await client.createIntent({ amount: 1_999, metadata: { order_id: orderId } });
    const captured = await client.capture(created.json.id);
    expect(captured.status).toBe(200);
    expect(captured.json).toMatchObject({ id: created.json.id, status: 'succeeded', amount_capturable: 0, amount_received: 1_999 });
    expect((await sandbox.ledger(orderId)).map((e) => [e.kind, e.amount])).toEqual([
      ['authorization', 1_999],
      ['capture', 1_999],
    ]);
    expect((await client.get(created.json.id)).json).toEqual(captured.json);
  });

  it('when a capture asks for less than authorized, then only that is received; more than capturable → 400 amount_too_large', async () => {
    const created = await client.createIntent({ amount: 1_000 });
    const tooMuch = await client.capture(created.json.id, { amount_to_capture: 1_001 });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.json.error).toMatchObject({ type: 'invalid_request_error', code: 'amount_too_large' });
    const partial = await client.capture(created.json.id, { amount_to_capture: 600 });
    expect(partial.json).toMatchObject({ status: 'succeeded', amount_received: 600, amount_capturable: 0 });
    expect((await sandbox.ledger(created.json.metadata.order_id)).map((e) => [e.kind, e.amount])).toEqual([
      ['authorization', 1_000],
      ['capture', 600],
    ]);
  });

  it('when a succeeded intent is captured again, then 400 payment_intent_unexpected_state and no second capture', async () => {
    const captured = await aCapturedIntent(client);
    const again = await client.capture(captured.id);
    expect(again.status).toBe(400);
    expect(again.json.error).toMatchObject({ type: 'invalid_request_error', code: 'payment_intent_unexpected_state' });
    expect((await sandbox.ledger(captured.metadata.order_id)).filter((e) => e.kind === 'capture')).toHaveLength(1);
  });
});

describe('declines', () => {
  it.each([
    ['pm_card_chargeDeclined', 'generic_decline'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
  ])(
    'when the card %s is declined, then 402 card_error %s with the intent, and no authorization in the ledger',
    async (card, declineCode) => {
      const orderId = anOrderId();
      const res = await client.createIntent({ payment_method: card, metadata: { order_id: orderId } });
      expect(res.status).toBe(402);
      expect(res.json.error).toMatchObject({
        type: 'card_error',
        code: 'card_declined',
        decline_code: declineCode,
        message: expect.any(String),
        payment_intent: {
          status: 'requires_payment_method',
          amount_capturable: 0,
          last_payment_error: { code: 'card_declined', decline_code: declineCode },
        },
      });
      expect(await sandbox.ledger(orderId)).toEqual([]);
    },
  );

  it('when the payment method is not a test card, then 400 payment_method_invalid and no intent is made', async () => {
    const orderId = anOrderId();
    const res = await client.createIntent({ payment_method: 'pm_card_unknown', metadata: { order_id: orderId } });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ type: 'invalid_request_error', code: 'payment_method_invalid' });
    expect((await client.request('GET', `/v1/payment_intents/search?order_id=${orderId}`)).json.data).toEqual([]);
  });

  it('when a parameter is unknown or missing, then 400 invalid_request_error naming it', async () => {
    const unknown = await client.request('POST', '/v1/payment_intents', {
      amount: 100,
      currency: 'eur',
      payment_method: 'pm_card_visa',
      metadata: { order_id: 'x' },
      status: 'succeeded',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_unknown', param: 'status' });
    const missing = await client.request('POST', '/v1/payment_intents', { amount: 100, currency: 'eur', payment_method: 'pm_card_visa' });
    expect(missing.json.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_missing', param: 'metadata' });
  });
});

describe('authentication required', () => {
  it('when the customer completes the authentication, then the intent requires capture and the authorization is in the ledger', async () => {
    const orderId = anOrderId();
    const created = await client.createIntent({ payment_method: 'pm_card_authenticationRequired', metadata: { order_id: orderId } });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ status: 'requires_action', amount_capturable: 0 });
    expect(await sandbox.ledger(orderId)).toEqual([]);

    const completed = await client.completeAction(created.json.id);
    expect(completed.status).toBe(200);
    expect(completed.json).toMatchObject({ status: 'requires_capture', amount_capturable: created.json.amount });
    expect((await sandbox.ledger(orderId)).map((e) => e.kind)).toEqual(['authorization']);
    expect((await client.capture(created.json.id)).json.status).toBe('succeeded');
  });

  it('when the authentication fails, then the intent is back at requires_payment_method with authentication_failed and nothing is held', async () => {
    const created = await client.createIntent({ payment_method: 'pm_card_authenticationRequired' });
    const failed = await client.completeAction(created.json.id, { outcome: 'fail' });
    expect(failed.json).toMatchObject({ status: 'requires_payment_method', last_payment_error: { code: 'authentication_failed' } });
    expect(await sandbox.ledger(created.json.metadata.order_id)).toEqual([]);
    const again = await client.completeAction(created.json.id);
    expect(again.status).toBe(400);
    expect(again.json.error.code).toBe('payment_intent_unexpected_state');
  });
});

describe('cancel', () => {
  it('when an authorization is canceled, then the intent is canceled and the ledger shows the void; a capture then → 400', async () => {
    const orderId = anOrderId();
    const created = await client.createIntent({ amount: 3_000, metadata: { order_id: orderId } });
    const canceled = await client.cancel(created.json.id, { cancellation_reason: 'abandoned' });
    expect(canceled.status).toBe(200);
    expect(canceled.json).toMatchObject({ status: 'canceled', amount_capturable: 0, amount_received: 0, cancellation_reason: 'abandoned' });
    expect((await sandbox.ledger(orderId)).map((e) => [e.kind, e.amount])).toEqual([
      ['authorization', 3_000],
      ['void', 3_000],
    ]);
    const capture = await client.capture(created.json.id);
    expect(capture.status).toBe(400);
    expect(capture.json.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'payment_intent_unexpected_state',
      payment_intent: { status: 'canceled' },
    });
    expect((await sandbox.ledger(orderId)).map((e) => e.kind)).toEqual(['authorization', 'void']);
  });

  it('when an intent waiting for authentication is canceled (no body), then it is canceled with nothing to void', async () => {
    const created = await client.createIntent({ payment_method: 'pm_card_authenticationRequired' });
    const canceled = await client.request('POST', `/v1/payment_intents/${created.json.id}/cancel`);
    expect(canceled.json.status).toBe('canceled');
    expect(await sandbox.ledger(created.json.metadata.order_id)).toEqual([]);
  });

  it('when a succeeded intent is canceled, then 400 payment_intent_unexpected_state', async () => {
    const captured = await aCapturedIntent(client);
    const res = await client.cancel(captured.id);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('payment_intent_unexpected_state');
  });
});

describe('refunds', () => {
  it('when partial refunds add up to the capture, then each succeeds; one more → 400 amount_too_large and the ledger holds only the refunds made', async () => {
    const captured = await aCapturedIntent(client, 1_000);
    const first = await client.refund({ payment_intent: captured.id, amount: 400, metadata: { refund_request: 'r1' } });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({
      object: 'refund',
      amount: 400,
      currency: 'eur',
      payment_intent: captured.id,
      status: 'succeeded',
      metadata: { refund_request: 'r1' },
    });
    expect(first.json.id).toMatch(/^re_/);

    const tooMuch = await client.refund({ payment_intent: captured.id, amount: 601 });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.json.error).toMatchObject({ type: 'invalid_request_error', code: 'amount_too_large' });

    const rest = await client.refund({ payment_intent: captured.id });
    expect(rest.json).toMatchObject({ amount: 600 });
    const oneMore = await client.refund({ payment_intent: captured.id, amount: 1 });
    expect(oneMore.json.error.code).toBe('amount_too_large');

    expect((await sandbox.ledger(captured.metadata.order_id)).map((e) => [e.kind, e.amount])).toEqual([
      ['authorization', 1_000],
      ['capture', 1_000],
      ['refund', 400],
      ['refund', 600],
    ]);
    const listed = await client.request('GET', `/v1/refunds?payment_intent=${captured.id}`);
    expect(listed.json).toEqual({ object: 'list', data: [first.json, rest.json] });
  });

  it('when five refunds of 300 race on a capture of 1000, then exactly three succeed and refunds never exceed the capture', async () => {
    const captured = await aCapturedIntent(client, 1_000);
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => client.refund({ payment_intent: captured.id, amount: 300 }, { key: `race-${captured.id}-${i}` })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 400, 400]);
    const refunds = (await sandbox.ledger(captured.metadata.order_id)).filter((e) => e.kind === 'refund');
    expect(refunds.reduce((sum, e) => sum + e.amount, 0)).toBe(900);
  });

  it('when the intent is not captured, then a refund → 400 payment_intent_unexpected_state; an unknown intent → 404 resource_missing', async () => {
    const created = await client.createIntent();
    expect((await client.refund({ payment_intent: created.json.id })).json.error.code).toBe('payment_intent_unexpected_state');
    const unknown = await client.refund({ payment_intent: 'pi_unknown' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({ type: 'invalid_request_error', code: 'resource_missing' });
  });
});

describe('reads', () => {
  it('when intents are searched by order id, then those of that order come back oldest first and no other', async () => {
    const orderId = anOrderId();
    const declined = await client.createIntent({ payment_method: 'pm_card_chargeDeclined', metadata: { order_id: orderId } });
    const authorized = await client.createIntent({ metadata: { order_id: orderId } });
    await client.createIntent();
    const found = await client.request('GET', `/v1/payment_intents/search?order_id=${orderId}`);
    expect(found.status).toBe(200);
    expect(found.json.object).toBe('search_result');
    expect(found.json.data.map((i: any) => [i.id, i.status])).toEqual([
      [declined.json.error.payment_intent.id, 'requires_payment_method'],
      [authorized.json.id, 'requires_capture'],
    ]);
  });

  it('when an intent is unknown, then 404 resource_missing', async () => {
    const res = await client.get('pi_000000000000');
    expect(res.status).toBe(404);
    expect(res.json.error).toMatchObject({ type: 'invalid_request_error', code: 'resource_missing' });
  });
});

describe('authentication', () => {
  it.each([
    ['no Authorization header', null],
    ['a wrong key', 'Bearer sk_test_wrong_key_123'],
    ['another scheme', 'Basic c2tfdGVzdDo='],
  ])('when a call has %s, then 401 authentication_error and nothing happens', async (_, auth) => {
    const orderId = anOrderId();
    const res = await client.createIntent({ metadata: { order_id: orderId } }, { auth });
    expect(res.status).toBe(401);
    expect(res.json.error.type).toBe('authentication_error');
    expect((await client.request('GET', '/v1/payment_intents/pi_x', undefined, { auth })).status).toBe(401);
    expect(await sandbox.ledger(orderId)).toEqual([]);
  });

  it('when the OpenAPI document is read, then every test route is tagged test-only and the API routes are not', async () => {
    const doc = (await (await fetch(`${sandbox.url}/docs/json`)).json()) as any;
    const operations = Object.entries(doc.paths as Record<string, Record<string, { tags?: string[] }>>).flatMap(([path, ops]) =>
      Object.values(ops).map((op) => ({ path, tags: op.tags ?? [] })),
    );
    expect(operations.filter((o) => o.path.startsWith('/v1/test/')).every((o) => o.tags.includes('test-only'))).toBe(true);
    expect(operations.filter((o) => !o.path.startsWith('/v1/test/')).some((o) => o.tags.includes('test-only'))).toBe(false);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/payment_intents', '/v1/refunds', '/v1/test/faults', '/v1/test/ledger']),
    );
  });
});
