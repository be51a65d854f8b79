import { type StandIn, startStandIn } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from './gateway.js';

describe('the customer seam and the other upstreams', () => {
  let catalog: StandIn;
  let orders: StandIn;
  let gateway: RunningGateway;

  beforeAll(async () => {
    catalog = await startStandIn();
    orders = await startStandIn();
    orders.answer({ status: 202, headers: { 'content-type': 'application/json' }, body: '{"orderId":"o1"}' });
    gateway = await startGateway(catalog.url, { ORDERS_URL: orders.url });
  });
  afterAll(async () => {
    await gateway?.stop();
    await catalog?.close();
    await orders?.close();
  });

  it('routes /api/orders to the orders service when ORDERS_URL is set, and turns X-Customer-Id into the internal customer header', async () => {
    const res = await fetch(`${gateway.url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-customer-id': 'cust-1', 'idempotency-key': 'k1' },
      body: '{"lines":[]}',
    });
    expect(res.status).toBe(202);
    const seen = orders.seen.at(-1);
    expect(seen?.headers['x-emporium-customer-id']).toBe('cust-1');
    expect(seen?.headers['x-customer-id']).toBeUndefined();
    expect(seen?.headers['idempotency-key']).toBe('k1');
  });

  it('never forwards an internal header a client forged', async () => {
    await fetch(`${gateway.url}/api/orders`, { headers: { 'x-emporium-customer-id': 'someone-else', 'x-emporium-role': 'admin' } });
    const seen = orders.seen.at(-1);
    expect(seen?.headers['x-emporium-customer-id']).toBeUndefined();
    expect(seen?.headers['x-emporium-role']).toBeUndefined();
  });

  it('does not route a service whose URL is not configured', async () => {
    const res = await fetch(`${gateway.url}/api/payments/orders/x`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'route_not_found' });
  });
});
