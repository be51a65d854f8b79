/**
 * A whole checkout through the gateway, with every service and the doubles of the third parties
 * in one process on the transport of this run's mode (embedded, or RabbitMQ + PostgreSQL 15).
 */
import { uniqueName, waitFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSystem } from '../src/system.js';
import { DEMO_CATALOG } from '@emporium/catalog';
import { type InProcessSystem, startInProcessSystem } from './support/in-process.js';
import { asAdmin, asCustomer, waitForFeed, waitForMail, waitForPartnerHooks } from './support/shop.js';

const DEMO_SKU = DEMO_CATALOG[0]?.variants[0]?.sku as string;

describe('checkout, end to end through the gateway', () => {
  let shop: InProcessSystem;
  let system: RunningSystem;
  let gateway: string;

  beforeAll(async () => {
    shop = await startInProcessSystem();
    system = shop.system;
    gateway = shop.gateway;
  }, 120_000);
  afterAll(async () => {
    await shop?.stop();
  });

  const order = (email: string, paymentMethod = 'pm_card_visa', sku = DEMO_SKU) => ({
    lines: [{ sku, quantity: 2 }],
    email,
    shippingAddress: { name: 'Ada Lovelace', line1: '12 Analytical Row', city: 'London', postalCode: 'N1 7AA', country: 'GB' },
    paymentMethod,
  });

  async function place(customer: string, body: unknown): Promise<{ orderId: string }> {
    const res = await fetch(`${gateway}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await asCustomer(shop, customer)), 'idempotency-key': uniqueName('key') },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(202);
    return (await res.json()) as { orderId: string };
  }

  async function statusOf(customer: string, orderId: string) {
    const res = await fetch(`${gateway}/api/orders/${orderId}`, { headers: await asCustomer(shop, customer) });
    return (await res.json()) as { status: string; timeline: { step: string; status: string; detail?: string }[] };
  }

  async function available(sku: string): Promise<number> {
    const res = await fetch(`${system.urls.inventory}/api/inventory/skus/${sku}`, { headers: await asAdmin(shop, 'inventory') });
    return ((await res.json()) as { available: number }).available;
  }

  it('when a customer orders in stock with a good card, then the order is confirmed: one capture at the provider, stock down, one email, one partner webhook, one feed entry', async () => {
    const customer = uniqueName('cust');
    const email = `${customer}@example.test`;
    const sku = DEMO_SKU;
    const before = await available(sku);
    const { orderId } = await place(customer, order(email, 'pm_card_visa', sku));

    const confirmed = await waitFor(
      async () => {
        const o = await statusOf(customer, orderId);
        return o.status === 'confirmed' ? o : undefined;
      },
      { timeoutMs: 60_000, description: 'the order to be confirmed' },
    );
    expect(confirmed.timeline.length).toBeGreaterThanOrEqual(4);

    const ledger = (await (await fetch(`${system.urls['payment-provider']}/v1/test/ledger?order_id=${orderId}`)).json()) as {
      data: { kind: string }[];
    };
    expect(ledger.data.filter((m) => m.kind === 'capture')).toHaveLength(1);
    expect(await available(sku)).toBe(before - 2);

    expect(await waitForMail(shop, email)).toMatchObject({ count: 1, distinctMessageIds: 1 });
    expect(new Set((await waitForPartnerHooks(shop, orderId)).map((h) => h.webhookId)).size).toBe(1);
    const feed = await waitForFeed(shop, customer);
    expect(feed).toHaveLength(1);
    expect(JSON.stringify(feed)).toContain(orderId);
  });

  it('when the card is declined, then the order is cancelled with a reason the customer can read, the stock is released and nothing is captured', async () => {
    const customer = uniqueName('cust');
    const sku = DEMO_SKU;
    const before = await available(sku);
    const { orderId } = await place(customer, order(`${customer}@example.test`, 'pm_card_chargeDeclined', sku));
    const cancelled = await waitFor(
      async () => {
        const o = await statusOf(customer, orderId);
        return o.status === 'cancelled' ? o : undefined;
      },
      { timeoutMs: 60_000, description: 'the order to be cancelled' },
    );
    expect(JSON.stringify(cancelled.timeline)).toMatch(/declined/i);
    await waitFor(async () => (await available(sku)) === before, { description: 'the stock to be released' });
    const ledger = (await (await fetch(`${system.urls['payment-provider']}/v1/test/ledger?order_id=${orderId}`)).json()) as {
      data: { kind: string }[];
    };
    expect(ledger.data.filter((m) => m.kind === 'capture')).toHaveLength(0);
  });

  it('routes identity through the gateway: a new account signs up and logs in, and gets a session it can list', async () => {
    const email = `${uniqueName('ada')}@example.test`;
    const password = 'correct horse battery staple 42';
    const post = (path: string, body: unknown) =>
      fetch(`${gateway}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('/api/identity/signup', { email, password })).status).toBe(201);
    const login = await post('/api/identity/login', { email, password });
    expect(login.status).toBe(200);
    const { sessionId } = (await login.json()) as { sessionId: string };
    const sessions = await fetch(`${gateway}/api/identity/sessions`, { headers: { authorization: `Session ${sessionId}` } });
    expect(sessions.status).toBe(200);
    expect(JSON.stringify(await sessions.json())).not.toContain(sessionId);
  });
});
