import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from './gateway.js';
import { type StandIn, startStandIn } from '@emporium/testing';

describe('the gateway routes /api/catalog/* to the catalog service', () => {
  let catalog: StandIn;
  let gateway: RunningGateway;

  beforeAll(async () => {
    catalog = await startStandIn();
    gateway = await startGateway(catalog.url, { BODY_LIMIT_BYTES: '2048' });
  });
  afterAll(async () => {
    await gateway?.stop();
    await catalog?.close();
  });
  beforeEach(() => {
    catalog.seen.length = 0;
    catalog.answer({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' });
  });

  it('passes method, path and query to catalog unchanged, and status, headers and body back', async () => {
    catalog.answer({
      status: 200,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        etag: '"v7"',
        'cache-control': 'max-age=60',
        'set-cookie': ['a=1; Path=/', 'b=2; Path=/; HttpOnly'],
      },
      body: '{"id":"p1","name":"Lamp"}',
    });

    const res = await fetch(`${gateway.url}/api/catalog/products/p1?fields=name,price&q=a%20b&tag=x&tag=y`);

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('etag')).toBe('"v7"');
    expect(res.headers.get('cache-control')).toBe('max-age=60');
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
    expect(await res.text()).toBe('{"id":"p1","name":"Lamp"}');
    expect(catalog.seen).toHaveLength(1);
    expect(catalog.seen[0]).toMatchObject({ method: 'GET', url: '/api/catalog/products/p1?fields=name,price&q=a%20b&tag=x&tag=y' });
  });

  it('routes the prefix itself, and every method', async () => {
    catalog.answer({ status: 204 });

    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']) {
      const res = await fetch(`${gateway.url}/api/catalog`, { method });
      expect(res.status).toBe(204);
    }

    expect(catalog.seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET /api/catalog',
      'PUT /api/catalog',
      'PATCH /api/catalog',
      'DELETE /api/catalog',
      'OPTIONS /api/catalog',
      'HEAD /api/catalog',
    ]);
  });

  it('passes a request body and its content type through, and the created status back', async () => {
    catalog.answer({
      status: 201,
      headers: { 'content-type': 'application/json', location: '/api/catalog/products/p9' },
      body: '{"id":"p9"}',
    });

    const res = await fetch(`${gateway.url}/api/catalog/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k-77' },
      body: '{"name":"Chair","price":{"amount":4900,"currency":"EUR"}}',
    });

    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe('/api/catalog/products/p9');
    expect(await res.json()).toEqual({ id: 'p9' });
    expect(catalog.seen[0]).toMatchObject({ method: 'POST', body: '{"name":"Chair","price":{"amount":4900,"currency":"EUR"}}' });
    expect(catalog.seen[0]?.headers).toMatchObject({ 'content-type': 'application/json', 'idempotency-key': 'k-77' });
  });

  it('passes a body of any content type as it is (no parsing at the gateway)', async () => {
    catalog.answer({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' });

    const res = await fetch(`${gateway.url}/api/catalog/import`, {
      method: 'PUT',
      headers: { 'content-type': 'text/csv' },
      body: 'sku,name\na,"Lamp"',
    });

    expect(res.status).toBe(200);
    expect(catalog.seen[0]).toMatchObject({ body: 'sku,name\na,"Lamp"' });
    expect(catalog.seen[0]?.headers['content-type']).toBe('text/csv');
  });

  it('hands a catalog problem+json to the client as it is', async () => {
    const problem =
      '{"type":"https://emporium.dev/problems/product_not_found","title":"Not Found","status":404,"code":"product_not_found"}';
    catalog.answer({ status: 404, headers: { 'content-type': 'application/problem+json' }, body: problem });

    const res = await fetch(`${gateway.url}/api/catalog/products/missing`);

    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.text()).toBe(problem);
  });

  it('does not forward inbound x-emporium-* headers, and sets x-request-id and x-forwarded-*', async () => {
    const res = await fetch(`${gateway.url}/api/catalog/products`, {
      headers: {
        'x-emporium-role': 'admin',
        'X-Emporium-User-Id': 'u-1',
        'x-request-id': 'client-req-0001',
        'x-forwarded-for': '203.0.113.9',
      },
    });

    expect(res.status).toBe(200);
    const headers = catalog.seen[0]?.headers ?? {};
    expect(Object.keys(headers).filter((h) => h.startsWith('x-emporium-'))).toEqual([]);
    expect(headers['x-request-id']).toBe('client-req-0001');
    expect(res.headers.get('x-request-id')).toBe('client-req-0001');
    expect(headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-forwarded-host']).toBe(new URL(gateway.url).host);
    expect(headers.host).toBe(new URL(catalog.url).host);
  });

  it('gives every request an id that catalog and the client both see', async () => {
    const res = await fetch(`${gateway.url}/api/catalog/products`);

    const id = res.headers.get('x-request-id');
    expect(id).toBeTruthy();
    expect(catalog.seen[0]?.headers['x-request-id']).toBe(id);
  });

  it('does not hand back hop-by-hop or internal headers of catalog', async () => {
    catalog.answer({
      status: 200,
      headers: { connection: 'keep-alive, x-hop', 'x-hop': '1', 'x-emporium-debug': 'internal', 'content-type': 'text/plain' },
      body: 'ok',
    });

    const res = await fetch(`${gateway.url}/api/catalog/products`);

    expect(res.status).toBe(200);
    expect(res.headers.get('x-hop')).toBeNull();
    expect(res.headers.get('x-emporium-debug')).toBeNull();
    expect(await res.text()).toBe('ok');
  });

  it('refuses a body over the limit with 413 body_too_large, without calling catalog', async () => {
    const res = await fetch(`${gateway.url}/api/catalog/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(4_000) }),
    });

    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ code: 'body_too_large' });
    expect(catalog.seen).toHaveLength(0);
  });

  it('does not route a path that dot segments take out of /api/catalog, nor a look-alike prefix', async () => {
    for (const path of ['/api/catalog/../../metrics', '/api/catalog/%2e%2e/%2e%2e/metrics', '/api/catalogue/products']) {
      // node:http sends the path as written (fetch would resolve the dots before sending).
      const res = await rawGet(`${gateway.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(JSON.parse(res.body)).toMatchObject({ code: 'route_not_found' });
    }
    expect(catalog.seen).toHaveLength(0);
  });

  it('documents in its OpenAPI description where the routed APIs are documented, without internal addresses', async () => {
    const doc = (await (await fetch(`${gateway.url}/docs/json`)).json()) as { info: { description: string } };

    expect(doc.info.description).toContain('`/api/catalog/*` → catalog');
    expect(doc.info.description).toContain('/docs');
    expect(JSON.stringify(doc)).not.toContain(catalog.url);
  });
});

async function rawGet(url: string): Promise<{ status: number; body: string }> {
  const { request } = await import('node:http');
  const target = new URL(url);
  const path = url.slice(target.origin.length);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
