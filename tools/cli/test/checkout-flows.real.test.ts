/**
 * Checkout flows through the gateway of the distributed system (every part its own process, real
 * PostgreSQL and RabbitMQ, the provider sandbox as the oracle of money moved): what the customer
 * is promised when stock runs short, when many buy the last units at once, when a request is sent
 * again, when a payment is never completed, and when a confirmed order is cancelled.
 */
import { randomUUID } from 'node:crypto';
import { waitFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapLimit } from '../src/map-limit.js';
import { startTestSystem, type TestSystem } from './support/distributed.js';
import {
  checkout,
  DEMO_SKUS,
  getOrder,
  type LedgerEntry,
  listOrders,
  type OrderView,
  orderBody,
  placeOrder,
  providerIntents,
  providerLedger,
  type StockLevels,
  setStock,
  stockOf,
  waitForFeed,
  waitForMail,
  waitForPartnerHooks,
  waitForStatus,
  asAdmin,
  asCustomer,
} from './support/shop.js';

/**
 * Short enough to watch a hold expire within a test; long enough that each of 200 buyers at once
 * is charged before its hold runs out on a busy 2-core machine (there, the replies of one burst
 * queue up at orders for tens of seconds; at 10 s some winners' holds expired before the charge).
 */
const RESERVATION_TTL_MS = 30_000;

/** As the e-mails write an amount: 4800 EUR → "48.00 EUR". */
const formatted = (money: { amount: number; currency: string }) => `${(money.amount / 100).toFixed(2)} ${money.currency}`;

const newCustomer = () => `cust-${randomUUID()}`;
const kinds = (ledger: LedgerEntry[], kind: LedgerEntry['kind']) => ledger.filter((e) => e.kind === kind);

describe('checkout flows, distributed, through the gateway', () => {
  let system: TestSystem;
  /** Each test has its own demo SKU, so stock counts never mix. */
  const skus = DEMO_SKUS.slice(1);
  const skuFor = (n: number) => skus[n] as string;

  const diagnostics = () =>
    ['orders', 'inventory', 'payments'].map((name) => `--- ${name}\n${system.output(name).slice(-4_000)}`).join('\n');

  beforeAll(async () => {
    system = await startTestSystem({
      env: {
        inventory: { INVENTORY_RESERVATION_TTL_MS: String(RESERVATION_TTL_MS), INVENTORY_EXPIRY_SWEEP_INTERVAL_MS: '250' },
        // Likewise orders waits for the catalog: at a 2 s timeout a burst's price lookups time
        // out in a row on a loaded machine, the breaker opens, and a buyer can meet 503s for a
        // minute (the breaker doing its job, but not what this suite is about).
        orders: { ORDERS_RESERVATION_TTL_MS: String(RESERVATION_TTL_MS), CATALOG_TIMEOUT_MS: '10000' },
        // 200 checkouts at once on a small machine: let the gateway wait for orders rather than
        // time out and retry (a retry with the key is safe, but only adds load).
        gateway: { UPSTREAM_TIMEOUT_MS: '15000', UPSTREAM_DEADLINE_MS: '20000' },
      },
    });
  }, 180_000);

  afterAll(async () => {
    await system?.stop();
  }, 60_000);

  it('when a customer orders in stock with a good card, then the order is confirmed: one capture, stock down, one e-mail, one partner webhook, one feed entry, and a timeline from placed to confirmed', async () => {
    const sku = skuFor(5);
    const customer = newCustomer();
    const email = `${customer}@example.test`;
    const before = await stockOf(system, sku);
    const { orderId } = await checkout(system, customer, orderBody({ sku, quantity: 2, email }));
    const order = await waitForStatus(system, customer, orderId, 'confirmed');

    const ledger = await providerLedger(system, orderId);
    expect(kinds(ledger, 'capture').map((c) => c.amount)).toEqual([order.total.amount]);
    expect(await stockOf(system, sku)).toMatchObject({ onHand: before.onHand - 2, reserved: 0 });
    const succeeded = order.timeline.filter((t) => t.status === 'succeeded').map((t) => t.step);
    for (const step of ['reserveStock', 'authorizePayment', 'capturePayment', 'commitStock', 'confirm']) expect(succeeded).toContain(step);

    expect(await waitForMail(system, email)).toMatchObject({ count: 1, distinctMessageIds: 1 });
    const hooks = await waitForPartnerHooks(system, orderId);
    expect(new Set(hooks.map((h) => h.webhookId)).size).toBe(1);
    expect(hooks.every((h) => h.validSignature)).toBe(true);
    const feed = await waitForFeed(system, customer);
    expect(feed).toHaveLength(1);
    expect(JSON.stringify(feed)).toContain(orderId);
  });

  it('when a SKU is short, then the order is cancelled before any payment is asked for, and the timeline names the SKU that is short', async () => {
    const sku = skuFor(0);
    await setStock(system, sku, 1);
    const customer = newCustomer();

    const { orderId } = await checkout(system, customer, orderBody({ sku, quantity: 2 }));
    const order = await waitForStatus(system, customer, orderId, 'cancelled');

    const failed = order.timeline.find((e) => e.step === 'reserveStock' && e.status === 'failed');
    expect(failed?.reason).toBe(`Not enough stock: ${sku} (asked 2, 1 available).`);
    expect(order.cancelReason).toBe(failed?.reason);
    expect(order.timeline.map((e) => e.step)).not.toContain('authorizePayment');
    expect(order.refunded).toBe(false);
    expect(await providerLedger(system, orderId)).toEqual([]);
    expect(await providerIntents(system, orderId)).toEqual([]);
    const payment = await fetch(`${system.urls.payments}/api/payments/orders/${orderId}`, { headers: await asAdmin(system, 'payments') });
    expect(payment.status).toBe(404);
    expect(await stockOf(system, sku)).toEqual({ onHand: 1, reserved: 0, available: 1 });
  }, 120_000);

  it('when the same POST is sent 10 times at once, then one order is made: one 202, the rest its replay or 409 in progress; later the stored answer byte for byte; another body with the key → 422', async () => {
    const sku = skuFor(1);
    const customer = newCustomer();
    const key = randomUUID();
    const body = orderBody({ sku, quantity: 1 });

    const answers = await Promise.all(Array.from({ length: 10 }, () => placeOrder(system, customer, body, key)));

    const accepted = answers.filter((a) => a.status === 202);
    const busy = answers.filter((a) => a.status === 409);
    expect(accepted.length + busy.length, answers.map((a) => `${a.status} ${a.text}`).join('\n')).toBe(10);
    // Exactly one request ran the checkout; a 202 to any other is the stored answer, marked as such.
    const originals = accepted.filter((a) => a.headers.get('idempotent-replayed') !== 'true');
    expect(originals).toHaveLength(1);
    const first = originals[0] as (typeof answers)[number];
    for (const replay of accepted) {
      expect(replay.text).toBe(first.text);
      expect(replay.headers.get('location')).toBe(first.headers.get('location'));
    }
    for (const b of busy) {
      expect(b.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(b.headers.get('retry-after')).toBe('1');
      expect((b.json as unknown as { code: string }).code).toBe('idempotency_request_in_progress');
    }
    const orderId = first.json.orderId;
    expect(first.json).toEqual({ orderId, status: 'reserving', statusUrl: `/api/orders/${orderId}` });

    await waitForStatus(system, customer, orderId, 'confirmed');
    const later = await placeOrder(system, customer, body, key);
    expect(later.status).toBe(202);
    expect(later.text).toBe(first.text);
    expect(later.headers.get('idempotent-replayed')).toBe('true');
    expect(later.headers.get('location')).toBe(first.headers.get('location'));

    const other = await placeOrder(system, customer, orderBody({ sku, quantity: 2, email: body.email }), key);
    expect(other.status).toBe(422);
    expect(other.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((other.json as unknown as { code: string }).code).toBe('idempotency_key_reused');

    expect((await listOrders(system, customer)).map((o) => o.id)).toEqual([orderId]);
    const ledger = await providerLedger(system, orderId);
    expect(kinds(ledger, 'capture')).toHaveLength(1);
    expect(kinds(ledger, 'authorization')).toHaveLength(1);
  }, 120_000);

  it('when a confirmed order is cancelled many times at once and again after, then it is refunded exactly once, in full, and its stock is back on hand', async () => {
    const sku = skuFor(2);
    const customer = newCustomer();
    const email = `${customer}@example.test`;
    const before = await stockOf(system, sku);

    const { orderId } = await checkout(system, customer, orderBody({ sku, quantity: 2, email }));
    const confirmed = await waitForStatus(system, customer, orderId, 'confirmed');
    expect(await stockOf(system, sku)).toEqual({ onHand: before.onHand - 2, reserved: 0, available: before.available - 2 });

    const asBuyer = await asCustomer(system, customer);
    const cancel = () =>
      fetch(`${system.gateway}/api/orders/${orderId}/cancel`, { method: 'POST', headers: asBuyer }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { orderId: string; status: string },
      }));
    const answers = await Promise.all(Array.from({ length: 5 }, cancel));
    for (const a of answers) {
      expect(a.status).toBe(202);
      expect(a.body.orderId).toBe(orderId);
      expect(['cancelling', 'cancelled']).toContain(a.body.status);
    }
    const cancelled = await waitForStatus(system, customer, orderId, 'cancelled');
    const again = await cancel();
    expect(again).toEqual({ status: 202, body: expect.objectContaining({ orderId, status: 'cancelled' }) });

    expect(cancelled.refunded).toBe(true);
    expect(cancelled.cancelReason).toBe('Cancelled at your request.');
    const ledger = await providerLedger(system, orderId);
    const [capture] = kinds(ledger, 'capture');
    const refunds = kinds(ledger, 'refund');
    expect(kinds(ledger, 'capture')).toHaveLength(1);
    expect(refunds).toHaveLength(1);
    expect(capture?.amount).toBe(confirmed.total.amount);
    expect(refunds[0]?.amount).toBe(capture?.amount);
    expect(refunds[0]?.payment_intent).toBe(capture?.payment_intent);

    // Inventory gives committed units back on a release after the commit.
    await waitFor(
      async () => {
        const now = await stockOf(system, sku);
        return now.onHand === before.onHand && now.reserved === 0 && now.available === before.available;
      },
      { timeoutMs: 60_000, description: `the ${sku} units to be back on hand` },
    );

    // One e-mail of each kind (confirmed, cancelled, refunded): every notification is sent once.
    const mails = await waitFor(
      async () => {
        const res = await fetch(`${system.urls['smtp-sink']}/messages?to=${encodeURIComponent(email)}`);
        const box = (await res.json()) as { items: { subject: string }[]; count: number; distinctMessageIds: number };
        return box.count >= 3 ? box : undefined;
      },
      { timeoutMs: 60_000, description: 'the confirmation, cancellation and refund e-mails' },
    );
    expect(mails.count).toBe(3);
    expect(mails.distinctMessageIds).toBe(3);
    const ref = orderId.slice(0, 8).toUpperCase();
    expect(new Set(mails.items.map((m) => m.subject))).toEqual(
      new Set([
        `Your Emporium order ${ref} is confirmed`,
        `Your Emporium order ${ref} was cancelled`,
        `Your refund of ${formatted(confirmed.total)} for order ${ref}`,
      ]),
    );
  }, 150_000);

  // The two below run at the same time: the hold's wait overlaps the burst instead of adding to it.
  it.concurrent('when the payment is never completed (authentication required), then the hold expires: the order is cancelled, the stock is back and nothing is charged', async ({
    expect,
  }) => {
    const sku = skuFor(3);
    const customer = newCustomer();
    const before = await stockOf(system, sku);

    const { orderId } = await checkout(system, customer, orderBody({ sku, quantity: 3, paymentMethod: 'pm_card_authenticationRequired' }));
    await waitFor(async () => (await providerIntents(system, orderId)).some((i) => i.status === 'requires_action'), {
      timeoutMs: 60_000,
      description: 'the payment to wait for the customer at the provider',
    });
    expect((await getOrder(system, customer, orderId)).status).toBe('authorizing');
    expect(await stockOf(system, sku)).toEqual({ onHand: before.onHand, reserved: 3, available: before.available - 3 });

    const cancelled = await waitForStatus(system, customer, orderId, 'cancelled', RESERVATION_TTL_MS + 60_000);
    expect(cancelled.cancelReason).toMatch(/hold on your items expired/);
    expect(cancelled.refunded).toBe(false);
    await waitFor(
      async () => {
        const now = await stockOf(system, sku);
        return now.onHand === before.onHand && now.reserved === 0 && now.available === before.available;
      },
      { timeoutMs: 30_000, description: `the ${sku} hold to be released` },
    );
    // The abandoned intent is voided, so the customer cannot complete it later.
    await waitFor(async () => (await providerIntents(system, orderId)).every((i) => i.status === 'canceled'), {
      timeoutMs: 30_000,
      description: 'the intent to be canceled at the provider',
    });
    const ledger = await providerLedger(system, orderId);
    expect(kinds(ledger, 'capture')).toEqual([]);
    expect(kinds(ledger, 'refund')).toEqual([]);
  }, 150_000);

  it.concurrent('when 200 customers buy the last 20 units at once, then exactly 20 orders are confirmed and captured, 180 cancelled as out of stock with nothing charged, and stock never goes below zero', async ({
    expect,
  }) => {
    const sku = skuFor(4);
    await setStock(system, sku, 20);
    const buyers = Array.from({ length: 200 }, () => ({ customer: newCustomer(), key: randomUUID() }));

    const samples: StockLevels[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) samples.push(await stockOf(system, sku));
    })();
    // Awaited below; this only keeps an early failure from surfacing as an unhandled rejection.
    sampler.catch(() => undefined);

    const placed = await mapLimit(buyers, 100, async (b) => {
      const accepted = await checkout(system, b.customer, orderBody({ sku, quantity: 1 }), b.key);
      return { ...b, orderId: accepted.orderId };
    });
    expect(new Set(placed.map((p) => p.orderId)).size).toBe(200);

    const final = new Map<string, OrderView>();
    const open = new Map<string, OrderView>();
    await waitFor(
      async () => {
        await mapLimit(
          placed.filter((p) => !final.has(p.orderId)),
          8,
          async (p) => {
            const order = await getOrder(system, p.customer, p.orderId);
            if (order.status === 'confirmed' || order.status === 'cancelled') {
              final.set(p.orderId, order);
              open.delete(p.orderId);
            } else open.set(p.orderId, order);
          },
        );
        return final.size === placed.length;
      },
      { timeoutMs: 120_000, intervalMs: 2_000, description: 'every order to be confirmed or cancelled' },
    ).catch((error: unknown) => {
      sampling = false;
      const stuck = [...open.values()];
      throw new Error(`${String(error)}: ${final.size} done, ${stuck.length} open, e.g. ${JSON.stringify(stuck[0])}\n${diagnostics()}`);
    });
    sampling = false;
    await sampler;

    const orders = [...final.values()];
    const confirmed = orders.filter((o) => o.status === 'confirmed');
    const cancelled = orders.filter((o) => o.status === 'cancelled');
    // Counted by reason, so a failure says why the others were cancelled.
    const reasons: Record<string, number> = {};
    for (const o of cancelled) reasons[o.cancelReason ?? 'none'] = (reasons[o.cancelReason ?? 'none'] ?? 0) + 1;
    expect({ confirmed: confirmed.length, reasons }).toEqual({
      confirmed: 20,
      reasons: { [`Not enough stock: ${sku} (asked 1, 0 available).`]: 180 },
    });

    const ours = new Set(placed.map((p) => p.orderId));
    const ledger = (await providerLedger(system)).filter((e) => ours.has(e.order_id));
    const captures = kinds(ledger, 'capture');
    // On a mismatch, each odd order's view and its whole ledger, so the failure says what happened.
    const odd = [...new Set(captures.map((c) => c.order_id))].filter(
      (id) => final.get(id)?.status !== 'confirmed' || captures.filter((c) => c.order_id === id).length !== 1,
    );
    expect(
      captures,
      odd.map((id) => `${JSON.stringify(final.get(id))}\n${JSON.stringify(ledger.filter((e) => e.order_id === id))}`).join('\n'),
    ).toHaveLength(20);
    expect(new Set(captures.map((c) => c.order_id))).toEqual(new Set(confirmed.map((o) => o.id)));
    for (const c of captures) expect(c.amount).toBe(final.get(c.order_id)?.total.amount);
    expect(kinds(ledger, 'refund')).toEqual([]);
    const cancelledIds = new Set(cancelled.map((o) => o.id));
    expect(ledger.filter((e) => cancelledIds.has(e.order_id))).toEqual([]);

    expect(samples.length).toBeGreaterThan(0);
    for (const s of samples) {
      expect(s.onHand).toBeGreaterThanOrEqual(0);
      expect(s.available).toBeGreaterThanOrEqual(0);
      expect(s.reserved).toBeLessThanOrEqual(20);
    }
    await waitFor(async () => (await stockOf(system, sku)).reserved === 0, { timeoutMs: 30_000, description: 'no units reserved' });
    expect(await stockOf(system, sku)).toEqual({ onHand: 0, reserved: 0, available: 0 });
  }, 300_000);
});
