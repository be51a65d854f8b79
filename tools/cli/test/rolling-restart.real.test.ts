/**
 * Test 4 of the Deployment issue: a rolling restart in the distributed mode. While customers keep
 * placing orders through the gateway, every service in turn is sent SIGTERM — as Kubernetes does
 * to the old pod of a rolling update — and started again once it is gone. Each must drain (exit
 * 0 within its SHUTDOWN_TIMEOUT_MS), every order must be accepted (a client sends a refused or
 * unanswered POST again with its Idempotency-Key, nothing more), and once quiet the invariant
 * checker must find nothing: no lost order, message, stock unit or notification, no double charge.
 *
 * One process per service here, so while one restarts its routes answer 503 (or, for the gateway,
 * refuse connections) and clients retry; with two replicas behind a Service the readiness probe
 * moves traffic first. What this proves is the part that replicas cannot: the drain itself.
 */
import { uniqueName, waitFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AcceptedOrder, formatFindings } from '../src/invariants.js';
import { SYSTEM } from '../src/services.js';
import { startTestSystem, type TestSystem } from './support/distributed.js';
import { findingsOnceQuiet, type InvariantWatch, watchInvariants } from './support/invariants.js';
import { orderBody, placeOrder } from './support/shop.js';

/** The services, restarted one after another; the gateway last, as it fronts the others. */
const ROLLED = ['catalog', 'inventory', 'payments', 'orders', 'notifications', 'identity', 'gateway'] as const;
const SKUS = ['TEE-ORG-BLK-M', 'TEE-ORG-WHT-L', 'HOOD-MER-GRY-M'];
const STOCK_PER_SKU = 500;
const CUSTOMERS = 4;
const SHUTDOWN_TIMEOUT_MS = 20_000;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('rolling restart: every service drained and restarted in turn while orders flow', () => {
  let system: TestSystem;
  let invariants: InvariantWatch | undefined;
  const accepted: AcceptedOrder[] = [];

  beforeAll(async () => {
    const env: Record<string, Record<string, string>> = Object.fromEntries(
      SYSTEM.map((e) => [e.module.name, { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), CONSUMER_RETRY_DELAYS_MS: '100,200,400' }]),
    );
    // A restarted gateway finds its upstreams again at once: a breaker opened by a neighbour's
    // restart probes again after 300 ms rather than failing requests fast for 10 s.
    env.gateway = { ...env.gateway, UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS: '300' };
    system = await startTestSystem({ env });
    invariants = await watchInvariants(system, { skus: SKUS, onHand: STOCK_PER_SKU }, accepted);
  }, 180_000);

  afterAll(async () => {
    await invariants?.close();
    await system?.stop();
  }, 120_000);

  it('when each service is sent SIGTERM and started again one by one while customers order, then each drains and exits 0, every order is accepted with retries alone, and once quiet every invariant holds', async () => {
    const attempts = { sent: 0, retried: 0, byAnswer: new Map<string, number>() };
    const refusedOtherwise: string[] = [];
    let rolling = true;

    /** A client that sends the same POST (same key) again on 409, 5xx or no answer, as a careful client does. */
    async function order(customerId: string, n: number): Promise<void> {
      const body = orderBody({ sku: SKUS[n % SKUS.length] as string, quantity: 1 + (n % 2) });
      const key = uniqueName('roll');
      for (let attempt = 0; ; attempt++) {
        attempts.sent++;
        const res = await placeOrder(system, customerId, body, key).catch((error: Error) => error);
        const answer = res instanceof Error ? 'no answer' : String(res.status);
        attempts.byAnswer.set(answer, (attempts.byAnswer.get(answer) ?? 0) + 1);
        if (!(res instanceof Error)) {
          if (res.status === 202) {
            accepted.push({ orderId: res.json.orderId, customerId });
            return;
          }
          if (res.status !== 409 && res.status < 500) {
            refusedOtherwise.push(`${res.status} ${res.text}`);
            return;
          }
        }
        attempts.retried++;
        await pause(Math.min(1_000, 50 * 2 ** attempt));
      }
    }

    const customers = Array.from({ length: CUSTOMERS }, async (_, c) => {
      const customerId = uniqueName(`roll-cust${c}`);
      for (let n = 0; rolling || n < 3; n++) {
        await order(customerId, n + c);
        // A customer's pace: enough orders in flight at every restart, not so many that the
        // final check waits on a backlog.
        await pause(500);
      }
    });

    const exits: { service: string; code: number | null; signal: NodeJS.Signals | null; drainedInMs: number }[] = [];
    const roll = (async () => {
      try {
        // Orders are flowing before the first restart, and between any two.
        await waitFor(() => accepted.length >= CUSTOMERS, { timeoutMs: 60_000, description: 'the first orders' });
        for (const service of ROLLED) {
          const before = accepted.length;
          const sent = Date.now();
          const exit = await system.kill(service, 'SIGTERM');
          exits.push({ service, ...exit, drainedInMs: Date.now() - sent });
          await system.start(service);
          await waitFor(() => accepted.length >= before + CUSTOMERS, {
            timeoutMs: 60_000,
            description: `orders to flow again after ${service} restarted`,
          });
        }
      } finally {
        rolling = false;
      }
    })();

    await Promise.all([roll, ...customers]);

    const findings = await findingsOnceQuiet((invariants as InvariantWatch).check);

    console.log(
      `rolling-restart: ${accepted.length} orders accepted, ${attempts.sent} POSTs (${attempts.retried} retries: ` +
        `${[...attempts.byAnswer].map(([a, n]) => `${a}×${n}`).join(', ')}); drained in ` +
        exits.map((e) => `${e.service} ${e.drainedInMs} ms`).join(', '),
    );
    expect(refusedOtherwise).toEqual([]);
    expect(exits.map((e) => e.service)).toEqual([...ROLLED]);
    // Every service drained and exited by itself with code 0, none cut off by the drain timeout.
    expect(exits.filter((e) => e.code !== 0 || e.signal !== null || e.drainedInMs >= SHUTDOWN_TIMEOUT_MS)).toEqual([]);
    expect(new Set(accepted.map((o) => o.orderId)).size).toBe(accepted.length);
    expect(findings, formatFindings(findings)).toEqual([]);
  }, 400_000);
});
