import { waitFor } from '@emporium/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from './gateway.js';
import { type StandIn, startStandIn } from '@emporium/testing';

const started: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.stop();
});

async function catalogAndGateway(env: Record<string, string>): Promise<{ catalog: StandIn; gateway: RunningGateway }> {
  const catalog = await startStandIn();
  started.push({ stop: () => catalog.close() });
  const gateway = await startGateway(catalog.url, {
    UPSTREAM_RETRY_INITIAL_DELAY_MS: '10',
    UPSTREAM_RETRY_MAX_DELAY_MS: '50',
    ...env,
  });
  started.push(gateway);
  return { catalog, gateway };
}

async function breakerState(gateway: RunningGateway): Promise<number | undefined> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('emporium_circuit_breaker_state{') && l.includes('callee="catalog"'));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('the gateway when catalog fails', () => {
  it('when catalog is down, then it answers 503 upstream_unavailable problem+json within the timeout, and stays up and ready', async () => {
    const { catalog, gateway } = await catalogAndGateway({ UPSTREAM_TIMEOUT_MS: '1000', UPSTREAM_BREAKER_FAILURES: '3' });
    await catalog.close();

    const begun = Date.now();
    const res = await fetch(`${gateway.url}/api/catalog/products`);
    const elapsed = Date.now() - begun;

    expect(res.status).toBe(503);
    expect(elapsed).toBeLessThan(1_000);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ status: 503, code: 'upstream_unavailable', instance: '/api/catalog/products' });
    expect(JSON.parse(text).detail).toContain('catalog');
    expect(text).not.toContain(`127.0.0.1:${catalog.port}`);
    expect(text).not.toMatch(/ECONNREFUSED|fetch failed|\bat .*\.ts/);
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${gateway.url}/readyz`);
    expect(ready.status).toBe(200);
    // Readiness depends on the gateway's own database (sessions), never on an upstream.
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: true } });
  });

  it('when catalog listens again, then requests are routed again once the breaker half-opens and its probe succeeds', async () => {
    const { catalog, gateway } = await catalogAndGateway({ UPSTREAM_BREAKER_FAILURES: '3', UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS: '300' });
    await catalog.close();
    expect((await fetch(`${gateway.url}/api/catalog/products`)).status).toBe(503);
    expect(await breakerState(gateway)).toBe(2);

    await catalog.reopen();

    await waitFor(async () => (await fetch(`${gateway.url}/api/catalog/products`)).status === 200, { description: 'catalog routed again' });
    expect(await breakerState(gateway)).toBe(0);
    expect(catalog.seen.at(-1)).toMatchObject({ method: 'GET', url: '/api/catalog/products' });
  });

  it('when the breaker is open, then it answers 503 at once without calling catalog', async () => {
    const { catalog, gateway } = await catalogAndGateway({ UPSTREAM_BREAKER_FAILURES: '3', UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS: '60000' });
    catalog.answer({ status: 503, headers: { 'content-type': 'application/problem+json' }, body: '{"code":"database_unavailable"}' });
    expect((await fetch(`${gateway.url}/api/catalog/products`)).status).toBe(503);
    expect(catalog.seen).toHaveLength(3);

    const begun = Date.now();
    const res = await fetch(`${gateway.url}/api/catalog/products`);

    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'upstream_unavailable' });
    expect(Date.now() - begun).toBeLessThan(250);
    expect(catalog.seen).toHaveLength(3);
    expect(await breakerState(gateway)).toBe(2);
  });

  it('when catalog is too slow, then it answers 504 upstream_timeout problem+json by the deadline', async () => {
    const { catalog, gateway } = await catalogAndGateway({ UPSTREAM_TIMEOUT_MS: '200', UPSTREAM_DEADLINE_MS: '1000' });
    catalog.answer('hang');

    const begun = Date.now();
    const res = await fetch(`${gateway.url}/api/catalog/products`);
    const elapsed = Date.now() - begun;

    expect(res.status).toBe(504);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 504, code: 'upstream_timeout' });
    expect(elapsed).toBeGreaterThanOrEqual(200);
    expect(elapsed).toBeLessThan(1_500);
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
  });

  it('when catalog answers 503 once, then a GET is retried and succeeds', async () => {
    const { catalog, gateway } = await catalogAndGateway({});
    catalog.answer({ status: 503 }, { status: 200, headers: { 'content-type': 'application/json' }, body: '{"items":[]}' });

    const res = await fetch(`${gateway.url}/api/catalog/products`);

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ items: [] });
    expect(catalog.seen.map((s) => s.method)).toEqual(['GET', 'GET']);
  });

  it('when catalog answers 503 to a POST without an Idempotency-Key, then it is not retried', async () => {
    const { catalog, gateway } = await catalogAndGateway({});
    catalog.answer({ status: 503 }, { status: 201, headers: { 'content-type': 'application/json' }, body: '{"id":"p1"}' });

    const res = await fetch(`${gateway.url}/api/catalog/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"Lamp"}',
    });

    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'upstream_unavailable' });
    expect(catalog.seen.map((s) => s.method)).toEqual(['POST']);
  });
});
