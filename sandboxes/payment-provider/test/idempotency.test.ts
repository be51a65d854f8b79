import { uniqueName, waitFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anIntent, anOrderId, type Client, clientOf, type Sandbox, startSandbox } from './support.js';

let sandbox: Sandbox;
let client: Client;
beforeAll(async () => {
  sandbox = await startSandbox();
  client = clientOf(sandbox);
});
afterAll(() => sandbox?.close());

const aKey = () => uniqueName('key');

describe('Idempotency-Key', () => {
  it('when a create is retried with the same key and body, then the first response comes back byte for byte and nothing happens again', async () => {
    const key = aKey();
    const body = anIntent();
    const first = await client.request('POST', '/v1/payment_intents', body, { key });
    // The same parameters in another order are the same request.
    const reordered = {
      metadata: body.metadata,
      confirm: true,
      payment_method: body.payment_method,
      currency: body.currency,
      amount: body.amount,
      capture_method: 'manual',
    };
    const replay = await client.request('POST', '/v1/payment_intents', reordered, { key });
    expect(first.status).toBe(200);
    expect(replay.status).toBe(200);
    expect(replay.text).toBe(first.text);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(await sandbox.ledger(body.metadata.order_id)).toHaveLength(1);
    expect((await client.request('GET', `/v1/payment_intents/search?order_id=${body.metadata.order_id}`)).json.data).toHaveLength(1);
  });

  it('when a declined create is retried with the same key, then the same 402 comes back and no second intent is made', async () => {
    const key = aKey();
    const body = anIntent({ payment_method: 'pm_card_chargeDeclined' });
    const first = await client.request('POST', '/v1/payment_intents', body, { key });
    const replay = await client.request('POST', '/v1/payment_intents', body, { key });
    expect(first.status).toBe(402);
    expect(replay.status).toBe(402);
    expect(replay.text).toBe(first.text);
    expect((await client.request('GET', `/v1/payment_intents/search?order_id=${body.metadata.order_id}`)).json.data).toHaveLength(1);
  });

  it('when a capture is retried with the same key, then it answers the same success instead of payment_intent_unexpected_state', async () => {
    const created = await client.createIntent();
    const key = aKey();
    const first = await client.capture(created.json.id, {}, { key });
    const replay = await client.capture(created.json.id, {}, { key });
    expect(replay.status).toBe(200);
    expect(replay.text).toBe(first.text);
    expect((await sandbox.ledger(created.json.metadata.order_id)).map((e) => e.kind)).toEqual(['authorization', 'capture']);
  });

  it('when the same key comes with another body, then 400 idempotency_error idempotency_key_reused and nothing happens', async () => {
    const key = aKey();
    const first = await client.createIntent({ amount: 1_000 }, { key });
    const orderId = anOrderId();
    const other = await client.createIntent({ amount: 1_001, metadata: { order_id: orderId } }, { key });
    expect(first.status).toBe(200);
    expect(other.status).toBe(400);
    expect(other.json.error).toMatchObject({ type: 'idempotency_error', code: 'idempotency_key_reused' });
    expect(await sandbox.ledger(orderId)).toEqual([]);
  });

  it('when the same key is used on another path, then 400 idempotency_key_reused', async () => {
    const a = await client.createIntent();
    const b = await client.createIntent();
    const key = aKey();
    expect((await client.capture(a.json.id, {}, { key })).status).toBe(200);
    const other = await client.capture(b.json.id, {}, { key });
    expect(other.json.error.code).toBe('idempotency_key_reused');
    expect((await client.get(b.json.id)).json.status).toBe('requires_capture');
  });

  it('when eight requests with one key run at once, then exactly one is answered 200 and the others 409 idempotency_request_in_progress', async () => {
    // The provider is slow this once: the first request holds the key while the others arrive.
    await sandbox.setFaults([{ operation: 'create', kind: 'latency', ms: 1_000, times: 1 }]);
    const key = aKey();
    const body = anIntent();
    const answers = await Promise.all(Array.from({ length: 8 }, () => client.request('POST', '/v1/payment_intents', body, { key })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
    for (const conflict of answers.filter((a) => a.status === 409)) {
      expect(conflict.json.error).toMatchObject({ type: 'idempotency_error', code: 'idempotency_request_in_progress' });
    }
    expect(await sandbox.ledger(body.metadata.order_id)).toHaveLength(1);
    const after = await client.request('POST', '/v1/payment_intents', body, { key });
    expect(after.text).toBe(answers.find((a) => a.status === 200)?.text);
  });

  it('when an Idempotency-Key is longer than 255 characters, then 400 and nothing happens', async () => {
    const orderId = anOrderId();
    const res = await client.createIntent({ metadata: { order_id: orderId } }, { key: 'k'.repeat(256) });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('idempotency_key_invalid');
    expect(await sandbox.ledger(orderId)).toEqual([]);
  });

  it('when a request fails validation, then nothing is stored and the key can be used with a valid body', async () => {
    const key = aKey();
    const invalid = await client.request(
      'POST',
      '/v1/payment_intents',
      { amount: -1, currency: 'eur', payment_method: 'pm_card_visa', metadata: { order_id: 'x' } },
      { key },
    );
    expect(invalid.status).toBe(400);
    expect((await client.createIntent({}, { key })).status).toBe(200);
  });
});

describe('retention', () => {
  it('when a key is older than SANDBOX_IDEMPOTENCY_RETENTION_MS, then it is forgotten and the same request runs again', async () => {
    const shortLived = await startSandbox({ SANDBOX_IDEMPOTENCY_RETENTION_MS: '300' });
    try {
      const c = clientOf(shortLived);
      const key = aKey();
      const body = anIntent();
      const first = await c.request('POST', '/v1/payment_intents', body, { key });
      const replay = await c.request('POST', '/v1/payment_intents', body, { key });
      expect(replay.json.id).toBe(first.json.id);
      const fresh = await waitFor(
        async () => {
          const again = await c.request('POST', '/v1/payment_intents', body, { key });
          return again.json.id !== first.json.id ? again : undefined;
        },
        { timeoutMs: 5_000, description: 'the key to be forgotten' },
      );
      expect(fresh.headers.get('idempotent-replayed')).toBeNull();
      // Documented behaviour: after the retention a retry charges again — callers must look up, not re-drive.
      expect((await shortLived.ledger(body.metadata.order_id)).map((e) => e.kind)).toEqual(['authorization', 'authorization']);
    } finally {
      await shortLived.close();
    }
  });
});
