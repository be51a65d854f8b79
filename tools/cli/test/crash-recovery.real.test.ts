/**
 * Test 8 of the Checkout issue: crash recovery. Concurrent customers place 300 orders through the
 * gateway while orders, payments and inventory are each SIGKILLed and restarted several times and
 * the broker cuts this system's connections once. Once the system is quiet, the invariant checker
 * must find nothing: no double charge, no lost order, stock unit or notification.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { uniqueName } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AcceptedOrder, checkInvariants, type CheckOptions, type Finding, formatFindings } from '../src/invariants.js';
import { SYSTEM } from '../src/services.js';
import { startTestSystem, type TestSystem } from './support/distributed.js';
import { findingsOnceQuiet, type InvariantWatch, watchInvariants } from './support/invariants.js';

const run = promisify(execFile);

const ORDERS = 300;
const CUSTOMERS = 12;
/** 300 orders over about 75 s: long enough for ten faults with a restart each. */
const PACE_MS = 250;
const SKUS = ['TEE-ORG-BLK-M', 'TEE-ORG-WHT-L', 'HOOD-MER-GRY-M', 'SHIRT-LIN-SND-M'];
/** About 2.25 units an order: 300 orders ask for ~675 units, of which ~620 with a good card. */
const STOCK_PER_SKU = 130;
const RECEIVED = { sku: 'TEE-ORG-BLK-M', units: 20 };
const DECLINED_SHARE = 0.08;
const VICTIMS = ['orders', 'payments', 'inventory'] as const;
const KILLS_EACH = 3;
const RETRY_DELAYS = '100,200,400';

const address = { name: 'Grace Hopper', line1: '1 Compiler Lane', city: 'Arlington', postalCode: '22201', country: 'US' };

/** A small seeded generator, so a failing run can be told apart from the next by its seed. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('crash recovery: 300 checkouts while services are killed and the broker connection is cut', () => {
  let system: TestSystem;
  let invariants: InvariantWatch | undefined;
  let check: CheckOptions;
  const accepted: AcceptedOrder[] = [];

  beforeAll(async () => {
    const everyone = Object.fromEntries(SYSTEM.map((e) => [e.module.name, { CONSUMER_RETRY_DELAYS_MS: RETRY_DELAYS }]));
    const env = {
      ...everyone,
      gateway: { ...everyone.gateway, UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS: '300' },
      orders: {
        ...everyone.orders,
        ORDERS_IDEMPOTENCY_LEASE_MS: '3000',
        ORDERS_RESERVE_TIMEOUT_MS: '5000',
        ORDERS_AUTHORIZE_TIMEOUT_MS: '8000',
        ORDERS_CAPTURE_TIMEOUT_MS: '8000',
        ORDERS_STEP_MAX_ATTEMPTS: '5',
        ORDERS_TIMEOUT_SCAN_INTERVAL_MS: '200',
        ORDERS_RESERVATION_TTL_MS: '120000',
      },
      inventory: { ...everyone.inventory, INVENTORY_EXPIRY_SWEEP_INTERVAL_MS: '500' },
      payments: {
        ...everyone.payments,
        PAYMENT_PROVIDER_TIMEOUT_MS: '2000',
        PAYMENTS_WORKER_LEASE_MS: '5000',
        PAYMENTS_RETRY_DELAYS_MS: '200,500,1000',
        PAYMENTS_RECONCILIATION_INTERVAL_MS: '5000',
      },
    };
    system = await startTestSystem({ env });
    invariants = await watchInvariants(system, { skus: SKUS, onHand: STOCK_PER_SKU }, accepted);
    check = invariants.check;
  }, 180_000);

  afterAll(async () => {
    await invariants?.close();
    await system?.stop();
  }, 120_000);

  /** A customer's POST, sent again with the same Idempotency-Key until it is accepted, as a real client would. */
  async function place(customerId: string, body: unknown, stats: { retries: number }): Promise<AcceptedOrder> {
    const key = uniqueName('key');
    const deadline = Date.now() + 120_000;
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${system.gateway}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await system.tokens.customer('orders', customerId)), 'idempotency-key': key },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      }).catch((error: unknown) => error as Error);
      if (!(res instanceof Error)) {
        if (res.status === 202) return { orderId: ((await res.json()) as { orderId: string }).orderId, customerId };
        const text = await res.text();
        // 409: the first request with this key is still running (or died holding it); 5xx: orders is away.
        if (![409, 429, 500, 502, 503, 504].includes(res.status)) throw new Error(`POST /api/orders answered ${res.status}: ${text}`);
      }
      if (Date.now() > deadline) throw new Error(`POST /api/orders not accepted within 120 s (${attempt + 1} attempts)`);
      stats.retries++;
      await pause(Math.min(2_000, 100 * 2 ** attempt));
    }
  }

  /**
   * Watches the order for a moment, as the storefront's confirmation page does: a customer places
   * the next one once this one settled or after `patienceMs`, so a few orders per customer may be
   * in flight while a service is down, and new POSTs keep arriving during every outage.
   */
  async function follow(order: AcceptedOrder, patienceMs: number): Promise<void> {
    const deadline = Date.now() + patienceMs;
    while (Date.now() < deadline) {
      const res = await fetch(`${system.gateway}/api/orders/${order.orderId}`, {
        headers: await system.tokens.customer('orders', order.customerId),
        signal: AbortSignal.timeout(patienceMs),
      }).catch(() => undefined);
      if (res?.status === 200) {
        const { status } = (await res.json()) as { status: string };
        if (status === 'confirmed' || status === 'cancelled') return;
      } else await res?.body?.cancel();
      await pause(250);
    }
  }

  /** Cuts every connection this system's processes hold to the broker, from the broker's side. */
  async function cutBrokerConnections(): Promise<number> {
    const ours = new Set((await run('ps', ['-o', 'pid=', '--ppid', String(process.pid)])).stdout.split(/\s+/).filter(Boolean));
    const sockets = (await run('ss', ['-tnpH', 'dport = :5672'])).stdout.split('\n');
    const ports = new Set(
      sockets
        .filter((line) => [...line.matchAll(/pid=(\d+)/g)].some((m) => ours.has(m[1] as string)))
        .map((line) => line.trim().split(/\s+/)[3]?.split(':').at(-1))
        .filter((p): p is string => Boolean(p)),
    );
    const connections = (await run('rabbitmqctl', ['list_connections', '-q', '--no-table-headers', 'pid', 'peer_port'])).stdout
      .split('\n')
      .map((line) => line.split('\t'))
      .filter(([pid, port]) => pid && port && ports.has(port.trim()));
    await Promise.all(
      connections.map(([pid]) => run('rabbitmqctl', ['close_connection', pid as string, 'crash-recovery test: connection cut'])),
    );
    return connections.length;
  }

  let findings: Finding[] = [];

  it('when 300 orders flow while orders, payments and inventory are killed and restarted and the broker connection is cut, then once quiet every invariant holds', async () => {
    const seed = Date.now();
    const rnd = random(seed);
    const specs = Array.from({ length: ORDERS }, () => {
      const skus = [...SKUS].sort(() => rnd() - 0.5).slice(0, rnd() < 0.5 ? 1 : 2);
      return {
        lines: skus.map((sku) => ({ sku, quantity: rnd() < 0.5 ? 1 : 2 })),
        paymentMethod: rnd() < DECLINED_SHARE ? 'pm_card_chargeDeclined' : 'pm_card_visa',
      };
    });
    const stats = { retries: 0 };
    const declined = new Map<string, boolean>();
    const started = Date.now();
    const notBefore = (at: number) => pause(Math.max(0, started + at - Date.now()));

    // Order i leaves no earlier than i × PACE_MS, so the orders flow for as long as the faults last.
    let next = 0;
    const customers = Array.from({ length: CUSTOMERS }, async (_, n) => {
      const customerId = uniqueName(`crash-cust${n}`);
      while (next < specs.length) {
        const i = next++;
        await notBefore(i * PACE_MS);
        const order = await place(customerId, { ...specs[i], email: `${customerId}@example.test`, shippingAddress: address }, stats);
        accepted.push(order);
        declined.set(order.orderId, specs[i]!.paymentMethod !== 'pm_card_visa');
        await follow(order, 2_000);
      }
    });

    // The faults, one at a time, each at a random moment of its own slot of the run: every victim
    // KILLS_EACH times, and the broker connections cut once somewhere in between.
    const faults: string[] = [...VICTIMS.flatMap((v) => Array<string>(KILLS_EACH).fill(v)), 'broker'].sort(() => rnd() - 0.5);
    const slot = (ORDERS * PACE_MS - 5_000) / faults.length;
    const done = { kills: 0, cutConnections: 0 };
    const chaos = (async () => {
      for (const [n, fault] of faults.entries()) {
        await notBefore(2_000 + n * slot + rnd() * (slot / 2));
        if (n === Math.floor(faults.length / 2)) {
          const res = await fetch(`${system.urls.inventory}/api/inventory/skus/${RECEIVED.sku}/receipts`, {
            method: 'POST',
            headers: { ...(await system.tokens.staff('inventory', ['admin'])), 'content-type': 'application/json' },
            body: JSON.stringify({ location: 'main', quantity: RECEIVED.units, reference: `crash-${seed}` }),
          });
          expect(res.status).toBe(201);
          check.receipts = { [RECEIVED.sku]: RECEIVED.units };
        }
        if (fault === 'broker') done.cutConnections = await cutBrokerConnections();
        else {
          await system.kill(fault);
          done.kills++;
          await pause(300 + rnd() * 1_500);
          await system.start(fault);
        }
      }
    })();

    await Promise.all([...customers, chaos]);
    const placed = Date.now();

    // Quiet: every order settled, every message sent and every notification delivered.
    findings = await findingsOnceQuiet(check);
    expect(findings, `seed ${seed}\n${formatFindings(findings)}`).toEqual([]);

    const views = await Promise.all(
      accepted.map(async (o) => {
        const res = await fetch(`${system.urls.orders}/api/orders/${o.orderId}`, {
          headers: await system.tokens.customer('orders', o.customerId),
        });
        return { ...((await res.json()) as { status: string; cancelReason: string | null }), declined: declined.get(o.orderId) };
      }),
    );
    // How often a crash caught a provider call in flight: it was sent again with its stored key.
    const resent = await Promise.all(
      accepted.map(async (o) => {
        const res = await fetch(`${system.urls.payments}/api/payments/orders/${o.orderId}`, {
          headers: await system.tokens.staff('payments', ['admin']),
        });
        if (res.status !== 200) return 0;
        return ((await res.json()) as { operations: { attempts: number }[] }).operations.filter((op) => op.attempts > 1).length;
      }),
    );
    const confirmed = views.filter((v) => v.status === 'confirmed').length;
    const cancelled = views.filter((v) => v.status === 'cancelled');
    const forStock = cancelled.filter((v) => /stock/i.test(v.cancelReason ?? '')).length;
    const forDecline = cancelled.filter((v) => v.declined && !/stock/i.test(v.cancelReason ?? '')).length;
    console.log(
      `crash-recovery: ${accepted.length} orders, ${confirmed} confirmed, ${cancelled.length} cancelled (${forDecline} declined, ` +
        `${forStock} short of stock, ${cancelled.length - forDecline - forStock} other); ${done.kills} kills, ` +
        `${done.cutConnections} broker connections cut; ${stats.retries} POST retries; ` +
        `${resent.reduce((a, b) => a + b, 0)} provider calls sent again with their key; placed in ${Math.round((placed - started) / 1000)} s, ` +
        `quiet after ${Math.round((Date.now() - placed) / 1000)} s more (seed ${seed})`,
    );
    expect(accepted).toHaveLength(ORDERS);
    expect(done.kills).toBe(VICTIMS.length * KILLS_EACH);
    expect(done.cutConnections).toBeGreaterThan(0);
    // A declined card never ends confirmed, whatever crashed meanwhile.
    expect(views.filter((v) => v.declined && v.status !== 'cancelled')).toEqual([]);
    // Enough stock for most orders, not for all.
    expect(confirmed).toBeGreaterThan(ORDERS / 2);
    expect(forStock).toBeGreaterThan(0);
  }, 300_000);

  it('when a confirmed order is charged a second time directly at the provider, then the checker reports it as I1 for that order alone', async () => {
    const statuses = await Promise.all(
      accepted.slice(0, 50).map(async (o) => {
        const res = await fetch(`${system.urls.orders}/api/orders/${o.orderId}`, {
          headers: await system.tokens.customer('orders', o.customerId),
        });
        return { ...o, ...((await res.json()) as { status: string; total: { amount: number; currency: string } }) };
      }),
    );
    const victim = statuses.find((o) => o.status === 'confirmed');
    expect(victim).toBeDefined();
    const provider = system.urls['payment-provider'];
    const auth = { authorization: `Bearer ${system.secrets.providerKey}`, 'content-type': 'application/json' };
    const intent = await fetch(`${provider}/v1/payment_intents`, {
      method: 'POST',
      headers: { ...auth, 'idempotency-key': uniqueName('extra') },
      body: JSON.stringify({
        amount: victim!.total.amount,
        currency: victim!.total.currency.toLowerCase(),
        payment_method: 'pm_card_visa',
        capture_method: 'manual',
        confirm: true,
        metadata: { order_id: victim!.orderId },
      }),
    });
    expect(intent.status).toBe(200);
    const { id } = (await intent.json()) as { id: string };
    const capture = await fetch(`${provider}/v1/payment_intents/${id}/capture`, {
      method: 'POST',
      headers: { ...auth, 'idempotency-key': uniqueName('extra') },
      body: '{}',
    });
    expect(capture.status).toBe(200);

    const found = await checkInvariants(check);
    expect(found, formatFindings(found)).toContainEqual({
      invariant: 'I1',
      subject: `order ${victim!.orderId}`,
      detail: '2 captures at the provider',
    });
    expect(found.filter((f) => f.subject !== `order ${victim!.orderId}`)).toEqual([]);
  }, 60_000);
});
