import { freePort, waitFor } from '@emporium/testing';
import { createMetrics } from '@emporium/observability';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpClientOptions, UpstreamError } from '../src/index.js';
import { type StandIn, startStandIn } from '@emporium/testing';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

const open: StandIn[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function standIn(): Promise<StandIn> {
  const server = await startStandIn();
  open.push(server);
  return server;
}

function clientFor(baseUrl: string, overrides: Partial<HttpClientOptions> = {}) {
  const metrics = createMetrics('test', { defaultMetrics: false });
  const client = createHttpClient({
    name: 'catalog',
    baseUrl,
    timeoutMs: 1_000,
    retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 20 },
    breaker: { consecutiveFailures: 10, halfOpenAfterMs: 60_000 },
    metrics,
    ...overrides,
  });
  const metric = async (name: string, labels: string) => {
    const line = (await metrics.registry.metrics()).split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
    return line ? Number(line.split(' ').pop()) : undefined;
  };
  return { client, metric };
}

async function failure(call: Promise<unknown>): Promise<UpstreamError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

describe('the HTTP client', () => {
  it('when a GET gets a 503 and then a 200, then it is retried and the 200 is returned', async () => {
    const callee = await standIn();
    callee.answer(json(503, { code: 'busy' }), json(200, { id: 'p1' }));
    const { client, metric } = clientFor(callee.url);

    const res = await client.request({ path: '/api/catalog/products/p1?fields=name' });

    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ id: 'p1' });
    expect(callee.seen.map((s) => s.url)).toEqual(['/api/catalog/products/p1?fields=name', '/api/catalog/products/p1?fields=name']);
    expect(await metric('emporium_http_client_requests_total', 'outcome="success"')).toBe(1);
    expect(await metric('emporium_http_client_retries_total', 'callee="catalog"')).toBe(1);
  });

  it('when a GET keeps getting 503, then it gives up after maxAttempts with upstream_unavailable (503)', async () => {
    const callee = await standIn();
    callee.answer(json(503, { code: 'busy' }));
    const { client, metric } = clientFor(callee.url);

    const error = await failure(client.request({ path: '/api/catalog/products' }));

    expect(error).toMatchObject({ code: 'upstream_unavailable', status: 503, callee: 'catalog' });
    expect(error.message).toContain('catalog');
    expect(error.message).not.toContain('127.0.0.1');
    expect(callee.seen).toHaveLength(3);
    expect(await metric('emporium_http_client_requests_total', 'outcome="unavailable"')).toBe(1);
  });

  it('when a POST without an Idempotency-Key gets a 503, then it is not retried', async () => {
    const callee = await standIn();
    callee.answer(json(503, { code: 'busy' }), json(201, { id: 'p2' }));
    const { client } = clientFor(callee.url);

    const error = await failure(client.request({ method: 'POST', path: '/api/catalog/products', json: { name: 'lamp' } }));

    expect(error.code).toBe('upstream_unavailable');
    expect(callee.seen).toHaveLength(1);
    expect(callee.seen[0]).toMatchObject({ method: 'POST', body: '{"name":"lamp"}' });
    expect(callee.seen[0]?.headers['content-type']).toBe('application/json');
  });

  it('when a POST carries an Idempotency-Key, then it is retried like a GET', async () => {
    const callee = await standIn();
    callee.answer(json(503, { code: 'busy' }), json(201, { id: 'p2' }));
    const { client } = clientFor(callee.url);

    const res = await client.request({ method: 'POST', path: '/orders', headers: { 'Idempotency-Key': 'k-1' }, json: { sku: 'a' } });

    expect(res.status).toBe(201);
    expect(callee.seen.map((s) => [s.method, s.headers['idempotency-key'], s.body])).toEqual([
      ['POST', 'k-1', '{"sku":"a"}'],
      ['POST', 'k-1', '{"sku":"a"}'],
    ]);
  });

  it('when the callee answers 4xx or 500, then the answer is handed back as it is, without a retry', async () => {
    const callee = await standIn();
    const problem = { type: 'https://emporium.dev/problems/product_not_found', title: 'Not Found', status: 404, code: 'product_not_found' };
    callee.answer({ status: 404, headers: { 'content-type': 'application/problem+json' }, body: JSON.stringify(problem) }, json(500, {}));
    const { client, metric } = clientFor(callee.url);

    const notFound = await client.request({ path: '/api/catalog/products/nope' });
    const failed = await client.request({ path: '/api/catalog/products/boom' });

    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('content-type')).toBe('application/problem+json');
    expect(notFound.json()).toEqual(problem);
    expect(failed.status).toBe(500);
    expect(callee.seen).toHaveLength(2);
    expect(await metric('emporium_http_client_requests_total', 'outcome="client_error"')).toBe(1);
    expect(await metric('emporium_http_client_requests_total', 'outcome="server_error"')).toBe(1);
  });

  it('when the callee does not answer in time, then the call fails with upstream_timeout (504) after each attempt timed out', async () => {
    const callee = await standIn();
    callee.answer('hang');
    const { client, metric } = clientFor(callee.url, {
      timeoutMs: 150,
      deadlineMs: 5_000,
      retry: { maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 5 },
    });

    const started = Date.now();
    const error = await failure(client.request({ path: '/api/catalog/products' }));
    const elapsed = Date.now() - started;

    expect(error).toMatchObject({ code: 'upstream_timeout', status: 504, expose: true });
    expect(callee.seen).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1_500);
    expect(await metric('emporium_http_client_requests_total', 'outcome="timeout"')).toBe(1);
  });

  it('when the whole call passes its deadline, then it fails with upstream_timeout at the deadline, retries or not', async () => {
    const callee = await standIn();
    callee.answer('hang');
    const { client } = clientFor(callee.url, { timeoutMs: 5_000, deadlineMs: 200 });

    const started = Date.now();
    const error = await failure(client.request({ path: '/api/catalog/products' }));

    expect(error.code).toBe('upstream_timeout');
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(callee.seen).toHaveLength(1);
  });

  it('when nothing listens at the address, then the call fails with upstream_unavailable', async () => {
    const { client } = clientFor(`http://127.0.0.1:${await freePort()}`);

    const error = await failure(client.request({ path: '/api/catalog/products' }));

    expect(error.code).toBe('upstream_unavailable');
    expect(error.message).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/);
  });

  it('when N attempts in a row fail, then the breaker opens and fails fast without calling; after the delay a successful probe closes it', async () => {
    const callee = await standIn();
    callee.answer(json(503, {}));
    const { client, metric } = clientFor(callee.url, {
      retry: { maxAttempts: 1 },
      breaker: { consecutiveFailures: 2, halfOpenAfterMs: 300 },
    });

    await failure(client.request({ path: '/a' }));
    expect(client.breakerState()).toBe('closed');
    await failure(client.request({ path: '/a' }));
    expect(client.breakerState()).toBe('open');
    expect(await metric('emporium_circuit_breaker_state', 'callee="catalog"')).toBe(2);

    const started = Date.now();
    const fast = await failure(client.request({ path: '/a' }));
    expect(fast.code).toBe('upstream_unavailable');
    expect(Date.now() - started).toBeLessThan(250);
    expect(callee.seen).toHaveLength(2);
    expect(await metric('emporium_http_client_requests_total', 'outcome="circuit_open"')).toBe(1);

    callee.answer(json(200, { ok: true }));
    await waitFor(async () => (await client.request({ path: '/a' }).catch(() => undefined))?.status === 200, {
      description: 'the half-open probe to succeed',
    });
    expect(client.breakerState()).toBe('closed');
    expect(await metric('emporium_circuit_breaker_state', 'callee="catalog"')).toBe(0);
    expect(callee.seen).toHaveLength(3);
  });

  it('when the half-open probe fails, then the breaker opens again', async () => {
    const callee = await standIn();
    callee.answer(json(502, {}));
    const { client } = clientFor(callee.url, { retry: { maxAttempts: 1 }, breaker: { consecutiveFailures: 1, halfOpenAfterMs: 100 } });

    await failure(client.request({ path: '/a' }));
    expect(client.breakerState()).toBe('open');
    await waitFor(async () => {
      await client.request({ path: '/a' }).catch(() => undefined);
      return callee.seen.length === 2;
    });

    expect(client.breakerState()).toBe('open');
  });

  it('when the callee answers 429 with a short Retry-After, then a GET waits that long and retries', async () => {
    const callee = await standIn();
    callee.answer(json(429, { code: 'slow_down' }, { 'retry-after': '0' }), json(200, { ok: true }));
    const { client } = clientFor(callee.url);

    const res = await client.request({ path: '/a' });

    expect(res.status).toBe(200);
    expect(callee.seen).toHaveLength(2);
  });

  it('when the Retry-After is longer than the bound, then the 429 is handed back at once and the breaker stays closed', async () => {
    const callee = await standIn();
    callee.answer(json(429, { code: 'slow_down' }, { 'retry-after': '120' }));
    const { client } = clientFor(callee.url, {
      retry: { maxAttempts: 3, maxRetryAfterMs: 1_000 },
      breaker: { consecutiveFailures: 1, halfOpenAfterMs: 60_000 },
    });

    const res = await client.request({ path: '/a' });

    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('120');
    expect(callee.seen).toHaveLength(1);
    expect(client.breakerState()).toBe('closed');
  });

  it('sends the request id, and leaves out hop-by-hop headers', async () => {
    const callee = await standIn();
    const { client } = clientFor(callee.url);

    await client.request({
      path: '/a',
      requestId: 'req-12345678',
      headers: { connection: 'x-private-hop', 'x-private-hop': 'secret', 'keep-alive': 'timeout=5', accept: 'application/json' },
    });

    const headers = callee.seen[0]?.headers ?? {};
    expect(headers['x-request-id']).toBe('req-12345678');
    expect(headers.accept).toBe('application/json');
    expect(headers['x-private-hop']).toBeUndefined();
    expect(headers['keep-alive']).toBeUndefined();
  });

  it('when the caller gives up, then the call stops with the caller’s reason and does not count against the breaker', async () => {
    const callee = await standIn();
    callee.answer('hang');
    const { client } = clientFor(callee.url, { breaker: { consecutiveFailures: 1, halfOpenAfterMs: 60_000 } });
    const caller = new AbortController();

    const call = client.request({ path: '/a', signal: caller.signal });
    await waitFor(() => callee.seen.length === 1);
    caller.abort(new Error('caller went away'));

    await expect(call).rejects.toThrow('caller went away');
    expect(client.breakerState()).toBe('closed');
  });
});
