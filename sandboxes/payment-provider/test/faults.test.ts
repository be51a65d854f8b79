import { uniqueName } from '@emporium/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { aCapturedIntent, anIntent, type Client, clientOf, type Sandbox, startSandbox } from './support.js';

let sandbox: Sandbox;
let client: Client;
beforeAll(async () => {
  sandbox = await startSandbox();
  client = clientOf(sandbox);
});
afterEach(() => sandbox.clearFaults());
afterAll(() => sandbox?.close());

const aKey = () => uniqueName('key');
const create = (body: object, key: string, signal?: AbortSignal) =>
  client.request('POST', '/v1/payment_intents', body, signal ? { key, signal } : { key });

describe('error before commit', () => {
  it.each([500, 502, 503] as const)(
    'when a create fails with %i before committing, then nothing is in the ledger and a retry with the same key succeeds once',
    async (status) => {
      await sandbox.setFaults([{ operation: 'create', kind: 'error_before_commit', status, times: 1 }]);
      const key = aKey();
      const body = anIntent();
      const failed = await create(body, key);
      expect(failed.status).toBe(status);
      expect(failed.json.error.type).toBe('api_error');
      expect(await sandbox.ledger(body.metadata.order_id)).toEqual([]);

      const retried = await create(body, key);
      expect(retried.status).toBe(200);
      expect(retried.headers.get('idempotent-replayed')).toBeNull();
      expect((await create(body, key)).text).toBe(retried.text);
      expect((await sandbox.ledger(body.metadata.order_id)).map((e) => e.kind)).toEqual(['authorization']);
    },
  );

  it('when the provider answers 429, then Retry-After says when to come back, nothing happened, and the retry succeeds', async () => {
    await sandbox.setFaults([{ operation: '*', kind: 'error_before_commit', status: 429, retry_after: 2, times: 1 }]);
    const key = aKey();
    const body = anIntent();
    const limited = await create(body, key);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.json.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit' });
    expect(await sandbox.ledger(body.metadata.order_id)).toEqual([]);
    expect((await create(body, key)).status).toBe(200);
  });

  it('when a fault targets one operation, then the others are not affected', async () => {
    await sandbox.setFaults([{ operation: 'refund', kind: 'error_before_commit', status: 503 }]);
    const captured = await aCapturedIntent(client);
    expect((await client.refund({ payment_intent: captured.id, amount: 10 })).status).toBe(503);
    expect((await client.refund({ payment_intent: captured.id, amount: 10 })).status).toBe(503);
    await sandbox.clearFaults();
    expect((await client.refund({ payment_intent: captured.id, amount: 10 })).status).toBe(200);
    expect((await sandbox.ledger(captured.metadata.order_id)).filter((e) => e.kind === 'refund')).toHaveLength(1);
  });
});

describe('error after commit (incident F4)', () => {
  it('when a create fails with 500 after committing, then the ledger has it and a retry with the same key answers the success, still one entry', async () => {
    await sandbox.setFaults([{ operation: 'create', kind: 'error_after_commit', status: 500, times: 1 }]);
    const key = aKey();
    const body = anIntent();
    const failed = await create(body, key);
    expect(failed.status).toBe(500);
    expect(failed.json.error.type).toBe('api_error');
    expect((await sandbox.ledger(body.metadata.order_id)).map((e) => e.kind)).toEqual(['authorization']);

    const retried = await create(body, key);
    expect(retried.status).toBe(200);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(retried.json).toMatchObject({ status: 'requires_capture', metadata: { order_id: body.metadata.order_id } });
    expect(await sandbox.ledger(body.metadata.order_id)).toHaveLength(1);
  });

  it('when a capture fails with 502 after committing, then a retry with the same key answers the success and there is one capture', async () => {
    const created = await client.createIntent();
    await sandbox.setFaults([{ operation: 'capture', kind: 'error_after_commit', status: 502, times: 1 }]);
    const key = aKey();
    expect((await client.capture(created.json.id, {}, { key })).status).toBe(502);
    const retried = await client.capture(created.json.id, {}, { key });
    expect(retried.status).toBe(200);
    expect(retried.json.status).toBe('succeeded');
    expect((await sandbox.ledger(created.json.metadata.order_id)).map((e) => e.kind)).toEqual(['authorization', 'capture']);
  });
});

describe('timeout after commit (incident F3)', () => {
  it('when the answer is held past the caller’s timeout, then the charge is in the ledger and a retry with the same key gets the success, one entry', async () => {
    await sandbox.setFaults([{ operation: 'create', kind: 'timeout_after_commit', ms: 3_000, times: 1 }]);
    const key = aKey();
    const body = anIntent();
    await expect(create(body, key, AbortSignal.timeout(500))).rejects.toThrow(/timeout|abort/i);
    expect((await sandbox.ledger(body.metadata.order_id)).map((e) => e.kind)).toEqual(['authorization']);

    const retried = await create(body, key);
    expect(retried.status).toBe(200);
    expect(retried.json.status).toBe('requires_capture');
    const search = await client.request('GET', `/v1/payment_intents/search?order_id=${body.metadata.order_id}`);
    expect(search.json.data.map((i: any) => i.id)).toEqual([retried.json.id]);
    expect(await sandbox.ledger(body.metadata.order_id)).toHaveLength(1);
  });
});

describe('latency', () => {
  it('when latency is injected for reads, then a read answers that much later and a create does not', async () => {
    const created = await client.createIntent();
    await sandbox.setFaults([{ operation: 'get', kind: 'latency', ms: 800 }]);
    let started = Date.now();
    const read = await client.get(created.json.id);
    const readMs = Date.now() - started;
    started = Date.now();
    expect((await client.createIntent()).status).toBe(200);
    const createMs = Date.now() - started;
    expect(read.status).toBe(200);
    expect(readMs).toBeGreaterThanOrEqual(790);
    expect(createMs).toBeLessThan(790);
  });

  it('when faults are set with times, then they retire after that many requests and GET /v1/test/faults shows what is left', async () => {
    await sandbox.setFaults([{ operation: 'get', kind: 'error_before_commit', status: 503, times: 2 }]);
    const created = await client.createIntent();
    expect((await client.get(created.json.id)).status).toBe(503);
    const left = (await (await fetch(`${sandbox.url}/v1/test/faults`)).json()) as any;
    expect(left.rules).toEqual([{ operation: 'get', kind: 'error_before_commit', status: 503, times: 2, remaining: 1 }]);
    expect((await client.get(created.json.id)).status).toBe(503);
    expect((await client.get(created.json.id)).status).toBe(200);
  });

  it('when a fault rule is malformed, then PUT /v1/test/faults answers 400 and the faults stay as they were', async () => {
    await sandbox.setFaults([{ operation: 'get', kind: 'latency', ms: 1 }]);
    const res = await fetch(`${sandbox.url}/v1/test/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rules: [{ operation: 'create', kind: 'explode' }] }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.type).toBe('invalid_request_error');
    expect(((await (await fetch(`${sandbox.url}/v1/test/faults`)).json()) as any).rules).toEqual([
      { operation: 'get', kind: 'latency', ms: 1 },
    ]);
  });
});
