/**
 * The incident and the payment provider's faults, end to end (RELIABILITY.md F2–F5; tests 6 and 7
 * of the Checkout issue): every part its own process, orders placed through the gateway, faults
 * injected for real — SIGKILL through the harness, the provider's own fault switches. The
 * provider's ledger is the oracle: whatever fails, an order is charged at most once, and a
 * confirmed order exactly once.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { waitFor } from '@emporium/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from './support/distributed.js';
import {
  checkout,
  DEMO_SKUS,
  getOrder,
  type LedgerEntry,
  type OrderView,
  orderBody,
  providerIntents,
  providerLedger,
  type StockLevels,
  stockOf,
  waitForMail,
  waitForStatus,
  asAdmin,
} from './support/shop.js';

/** Payments gives up on a provider call after this long: the outcome is then unknown. */
const PROVIDER_TIMEOUT_MS = 2_000;
/** …and sends the same key again this long after. Test 2's window to SIGKILL is about the sum of both. */
const RETRY_DELAY_MS = 2_000;
/** The provider holds its answer past our timeout. */
const HELD_MS = PROVIDER_TIMEOUT_MS + 3_000;

const JSON_TYPE = { 'content-type': 'application/json' };
const CAPTURE_ROUTE = '/v1/payment_intents/:id/capture';

interface PaymentRecord {
  payment: {
    status: string;
    amount: { amount: number };
    authorized: { amount: number };
    captured: { amount: number };
    providerIntentId: string | null;
    failure: { code: string; reason: string } | null;
  };
  operations: { kind: string; status: string; idempotencyKey: string; attempts: number; outcomeUnknown: boolean }[];
  ledger: { kind: string; amount: { amount: number }; source: string }[];
}

type FaultRule = Record<string, unknown>;

describe('checkout under the payment provider’s faults and the incident, distributed', () => {
  let system: TestSystem;
  let provider: string;
  let skuIndex = 5;
  /** Each test its own SKU, so stock figures belong to that test alone. */
  const nextSku = () => DEMO_SKUS[skuIndex++ % DEMO_SKUS.length] as string;

  beforeAll(async () => {
    system = await startTestSystem({
      env: {
        payments: {
          PAYMENT_PROVIDER_TIMEOUT_MS: String(PROVIDER_TIMEOUT_MS),
          PAYMENTS_RETRY_DELAYS_MS: String(RETRY_DELAY_MS),
          // A SIGKILLed worker's claim comes back after its lease; at least 2 × timeout + 1 s.
          PAYMENTS_WORKER_LEASE_MS: String(2 * PROVIDER_TIMEOUT_MS + 1_000),
          // Only the worker's retries and the webhooks resolve outcomes here: reconciliation and
          // the 3-D Secure recheck stay out of the way, so each test shows the path it names.
          PAYMENTS_RECONCILIATION_INTERVAL_MS: '600000',
          PAYMENTS_ACTION_RECHECK_MS: '600000',
        },
        'payment-provider': { SANDBOX_WEBHOOK_RETRY_DELAYS_MS: '200,500,1000' },
      },
    });
    provider = system.urls['payment-provider'] as string;
    await clearFaults();
  }, 180_000);

  afterEach(async () => {
    await clearFaults();
    // A test that failed between the SIGKILL and the restart must not leave the rest without payments.
    if (!system.running('payments')) await system.start('payments');
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
  }, 60_000);

  async function setFaults(rules: FaultRule[]): Promise<void> {
    const res = await fetch(`${provider}/v1/test/faults`, { method: 'PUT', headers: JSON_TYPE, body: JSON.stringify({ rules }) });
    expect(res.status, await res.text()).toBe(200);
  }

  async function clearFaults(): Promise<void> {
    const res = await fetch(`${provider}/v1/test/faults`, { method: 'DELETE' });
    expect(res.status).toBe(200);
  }

  /** The sum of a Prometheus counter over the series whose labels include `labels`. */
  async function metric(baseUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(`${baseUrl}/metrics`)).text();
    const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    let sum = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      if (wanted.every((w) => line.includes(w))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return sum;
  }

  const faultsInjected = (operation: string, kind: string) =>
    metric(provider, 'emporium_payment_provider_faults_injected_total', { operation, kind });

  /**
   * Captures the provider refused (400 payment_intent_unexpected_state). A capture sent again with a
   * NEW key on an intent already captured is refused so; the same key is answered with the stored
   * success. Zero refusals across a retry means the retry carried the first key.
   */
  const captureRefusals = () => metric(provider, 'http_server_requests_total', { route: CAPTURE_ROUTE, status_code: '400' });
  /** Every capture request the provider answered (so a zero above is not a series that never matches). */
  const captureRequests = () => metric(provider, 'http_server_requests_total', { route: CAPTURE_ROUTE });

  /** Payments' own record of the order (admin), or undefined while it has none. */
  async function paymentOf(orderId: string): Promise<PaymentRecord | undefined> {
    const res = await fetch(`${system.urls.payments}/api/payments/orders/${orderId}`, { headers: await asAdmin(system, 'payments') });
    if (res.status === 404) return undefined;
    expect(res.status).toBe(200);
    return (await res.json()) as PaymentRecord;
  }

  const count = (ledger: { kind: string }[], kind: string) => ledger.filter((e) => e.kind === kind).length;
  const customer = () => `cust-${randomUUID()}`;
  const logsOnFailure = () => `\n--- payments ---\n${system.output('payments').slice(-3_000)}`;

  /**
   * I1, I3, I6 for a confirmed order: one authorization and one capture of the total at the
   * provider; payments' record agrees (one capture operation, one ledger row per movement); its
   * units are committed and nothing stays reserved.
   */
  async function expectChargedOnce(order: OrderView, sku: string, before: StockLevels): Promise<PaymentRecord> {
    expect(order.status, logsOnFailure()).toBe('confirmed');
    const ledger: LedgerEntry[] = await providerLedger(system, order.id);
    expect(ledger.map((e) => e.kind)).toEqual(['authorization', 'capture']);
    expect(ledger.find((e) => e.kind === 'capture')?.amount).toBe(order.total.amount);
    expect(await providerIntents(system, order.id)).toHaveLength(1);

    const record = (await paymentOf(order.id)) as PaymentRecord;
    expect(record.payment).toMatchObject({ status: 'captured', captured: { amount: order.total.amount } });
    expect(record.operations.filter((o) => o.kind === 'authorize')).toHaveLength(1);
    expect(record.operations.filter((o) => o.kind === 'capture')).toMatchObject([{ status: 'succeeded', outcomeUnknown: false }]);
    expect(record.ledger.map((e) => e.kind).sort()).toEqual(['authorization', 'capture']);
    expect(record.ledger.find((e) => e.kind === 'capture')?.amount.amount).toBe(order.total.amount);

    const quantity = order.lines.reduce((n, l) => n + l.quantity, 0);
    await waitFor(async () => (await stockOf(system, sku)).reserved === before.reserved, {
      timeoutMs: 30_000,
      description: `nothing of ${sku} to stay reserved`,
    });
    expect(await stockOf(system, sku)).toMatchObject({ onHand: before.onHand - quantity, reserved: before.reserved });
    return record;
  }

  /** Places one order of one unit through the gateway and waits until it ends. */
  async function orderAndWait(sku: string, paymentMethod = 'pm_card_visa') {
    const who = customer();
    const before = await stockOf(system, sku);
    const { orderId } = await checkout(system, who, orderBody({ sku, paymentMethod }));
    const order = await waitForStatus(system, who, orderId, ['confirmed', 'cancelled']);
    return { who, orderId, order, before };
  }

  describe('the incident, part 1 (F3): the provider does it, then answers after our timeout', () => {
    it('when the capture is made but its answer comes after our timeout, then payments sends the same key again, the provider captured exactly once and the order is confirmed', async () => {
      // No webhook may settle it: the worker's retry alone must, with the key it stored before calling.
      await setFaults([
        { operation: 'capture', kind: 'timeout_after_commit', ms: HELD_MS, times: 1 },
        { operation: 'webhook', kind: 'drop' },
      ]);
      const refusedBefore = await captureRefusals();
      const requestsBefore = await captureRequests();
      const heldBefore = await faultsInjected('capture', 'timeout_after_commit');
      const sku = nextSku();

      const { order, before } = await orderAndWait(sku);

      const record = await expectChargedOnce(order, sku, before);
      expect(await faultsInjected('capture', 'timeout_after_commit')).toBe(heldBefore + 1);
      const [capture] = record.operations.filter((o) => o.kind === 'capture');
      expect(capture?.attempts, 'the capture was sent again after the timeout').toBeGreaterThanOrEqual(2);
      expect(await captureRequests()).toBeGreaterThan(requestsBefore);
      expect(await captureRefusals(), 'every capture request carried the first key').toBe(refusedBefore);
    });

    it('when the authorization is made but its answer comes after our timeout, then there is one intent, one authorization, one capture, and the order is confirmed', async () => {
      await setFaults([{ operation: 'create', kind: 'timeout_after_commit', ms: HELD_MS, times: 1 }]);
      const heldBefore = await faultsInjected('create', 'timeout_after_commit');
      const sku = nextSku();

      const { order, before } = await orderAndWait(sku);

      await expectChargedOnce(order, sku, before);
      expect(await faultsInjected('create', 'timeout_after_commit')).toBe(heldBefore + 1);
    });
  });

  it('the incident, part 2 (F2): when payments is SIGKILLed after the provider captured and before it recorded the capture, then the restarted payments resends the same key: one capture, the order confirmed, our books equal the provider’s', async () => {
    // The provider holds the capture's answer far longer than the test needs; webhooks are dropped
    // so nothing but the restarted worker can learn the outcome.
    await setFaults([
      { operation: 'capture', kind: 'timeout_after_commit', ms: 120_000, times: 1 },
      { operation: 'webhook', kind: 'drop' },
    ]);
    const refusedBefore = await captureRefusals();
    const who = customer();
    const sku = nextSku();
    const before = await stockOf(system, sku);
    const { orderId } = await checkout(system, who, orderBody({ sku }));

    await waitFor(async () => count(await providerLedger(system, orderId), 'capture') === 1, {
      timeoutMs: 60_000,
      intervalMs: 20,
      description: 'the provider to capture the order',
    });
    // The moment of the incident: the money moved, payments has not recorded it (it waits for the answer).
    const unrecorded = (await paymentOf(orderId)) as PaymentRecord;
    expect(unrecorded.payment.status, 'payments must not have recorded the capture before the kill').toBe('authorized');
    expect(unrecorded.operations.filter((o) => o.kind === 'capture')).toMatchObject([{ status: 'pending' }]);
    const key = unrecorded.operations.find((o) => o.kind === 'capture')?.idempotencyKey;
    await system.kill('payments');
    expect(system.running('payments')).toBe(false);

    await clearFaults();
    await system.start('payments');

    const order = await waitForStatus(system, who, orderId, ['confirmed', 'cancelled']);
    const record = await expectChargedOnce(order, sku, before);
    expect(record.operations.filter((o) => o.kind === 'capture')).toMatchObject([{ idempotencyKey: key }]);
    expect(record.operations.find((o) => o.kind === 'capture')?.attempts).toBeGreaterThanOrEqual(2);
    expect(await captureRefusals(), 'the restarted payments sent the stored key, not a new one').toBe(refusedBefore);
    expect(count(await providerLedger(system, orderId), 'capture')).toBe(1);
  }, 180_000);

  describe('the provider fails with a 5xx or throttles (F4)', () => {
    const cases: { name: string; rules: FaultRule[] }[] = [
      {
        name: 'when the provider captures and then answers 500, then the capture is resolved with the same key: one capture, the order confirmed',
        rules: [{ operation: 'capture', kind: 'error_after_commit', status: 500, times: 1 }],
      },
      {
        name: 'when the provider captures and then answers 502, then one capture and the order confirmed',
        rules: [{ operation: 'capture', kind: 'error_after_commit', status: 502, times: 1 }],
      },
      {
        name: 'when the provider authorizes and then answers 500, then one intent, one authorization, and the order confirmed',
        rules: [{ operation: 'create', kind: 'error_after_commit', status: 500, times: 1 }],
      },
      {
        name: 'when the provider throttles the authorization (429) and fails the capture with a 503 before doing it, then both are retried: one authorization, one capture, the order confirmed',
        rules: [
          { operation: 'create', kind: 'error_before_commit', status: 429, retry_after: 1, times: 1 },
          { operation: 'capture', kind: 'error_before_commit', status: 503, times: 1 },
        ],
      },
    ];

    for (const c of cases) {
      it(c.name, async () => {
        const fired = (r: FaultRule) => faultsInjected(r.operation as string, r.kind as string);
        const firedBefore = await Promise.all(c.rules.map(fired));
        await setFaults(c.rules);
        const sku = nextSku();

        const { order, before } = await orderAndWait(sku);

        await expectChargedOnce(order, sku, before);
        expect(await Promise.all(c.rules.map(fired))).toEqual(firedBefore.map((n) => n + 1));
      });
    }
  });

  describe('webhooks (F5)', () => {
    const PATH = '/api/payments/webhooks/provider';

    /** Standard Webhooks: HMAC-SHA256 over `id.timestamp.body` with the secret's base64-decoded bytes. */
    function signed(body: string, id: string, at: Date, secret: string): Record<string, string> {
      const timestamp = String(Math.floor(at.getTime() / 1_000));
      const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
      const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
      return { ...JSON_TYPE, 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
    }

    async function deliver(body: string, headers: Record<string, string>): Promise<{ status: number; json: any }> {
      const res = await fetch(`${system.urls.payments}${PATH}`, { method: 'POST', headers, body });
      return { status: res.status, json: await res.json() };
    }

    const webhooks = (outcome: string) => metric(system.urls.payments as string, 'emporium_payments_webhooks_total', { outcome });

    it('when the provider’s webhooks come three times each, delayed and in reverse order, then they have one effect: one capture, one ledger row per movement, one confirmation', async () => {
      const duplicatesBefore = await webhooks('duplicate');
      const deliveredBefore = await metric(provider, 'emporium_payment_provider_webhook_attempts_total', { outcome: 'delivered' });
      await setFaults([
        { operation: 'webhook', kind: 'duplicate', copies: 3 },
        { operation: 'webhook', kind: 'delay', ms: 300 },
        { operation: 'webhook', kind: 'shuffle', count: 2, ms: 3_000 },
      ]);
      const sku = nextSku();
      const email = `buyer-${randomUUID().slice(0, 8)}@example.test`;
      const who = customer();
      const before = await stockOf(system, sku);
      const { orderId } = await checkout(system, who, orderBody({ sku, email }));
      const order = await waitForStatus(system, who, orderId, ['confirmed', 'cancelled']);

      // Both events (authorized, captured), three copies each, have reached payments.
      await waitFor(
        async () =>
          (await metric(provider, 'emporium_payment_provider_webhook_attempts_total', { outcome: 'delivered' })) - deliveredBefore >= 6,
        { timeoutMs: 30_000, description: 'six webhook deliveries' },
      );
      expect((await webhooks('duplicate')) - duplicatesBefore).toBeGreaterThanOrEqual(4);

      await expectChargedOnce(order, sku, before);
      const timeline = (await getOrder(system, who, orderId)).timeline;
      expect(timeline.filter((e) => e.step === 'capturePayment' && e.status === 'succeeded')).toHaveLength(1);
      expect(timeline.filter((e) => e.step === 'confirm' && e.status === 'succeeded')).toHaveLength(1);
      expect(await waitForMail(system, email)).toMatchObject({ count: 1, distinctMessageIds: 1 });
    });

    it('when a webhook is forged, stale or tampered with, then payments answers 400 and does nothing; the genuine event is processed once, and its duplicate answered 2xx without a second effect', async () => {
      // The provider's own webhooks are dropped: the only events payments hears are the test's.
      await setFaults([{ operation: 'webhook', kind: 'drop' }]);
      const sku = nextSku();
      const who = customer();
      const before = await stockOf(system, sku);
      const { orderId } = await checkout(system, who, orderBody({ sku, paymentMethod: 'pm_card_authenticationRequired' }));
      const waiting = await waitFor(
        async () => {
          const record = await paymentOf(orderId);
          return record?.payment.status === 'requires_action' ? record : undefined;
        },
        { timeoutMs: 60_000, description: 'the payment to wait for the customer’s authentication' },
      );
      const intentId = waiting.payment.providerIntentId as string;

      // The customer authenticates: the provider authorizes. Payments would learn it from this event.
      const completed = await fetch(`${provider}/v1/test/payment_intents/${intentId}/complete_action`, {
        method: 'POST',
        headers: JSON_TYPE,
        body: '{}',
      });
      expect(completed.status).toBe(200);
      const intent = (await completed.json()) as { status: string };
      expect(intent.status).toBe('requires_capture');
      const eventId = `evt_${randomBytes(12).toString('hex')}`;
      const event = JSON.stringify({
        id: eventId,
        type: 'payment_intent.amount_capturable_updated',
        created: Math.floor(Date.now() / 1_000),
        data: { object: intent },
      });
      const secret = system.secrets.providerWebhookSecret;

      const forged = await deliver(event, signed(event, eventId, new Date(), `whsec_${randomBytes(32).toString('base64')}`));
      const stale = await deliver(event, signed(event, eventId, new Date(Date.now() - 10 * 60_000), secret));
      const tampered = await deliver(event.replace('amount_capturable_updated', 'succeeded'), signed(event, eventId, new Date(), secret));
      expect([forged, stale, tampered].map((r) => [r.status, r.json.code])).toEqual([
        [400, 'invalid_signature'],
        [400, 'invalid_signature'],
        [400, 'invalid_signature'],
      ]);
      expect((await paymentOf(orderId))?.payment.status, 'a refused webhook has no effect').toBe('requires_action');
      expect((await getOrder(system, who, orderId)).status).toBe('authorizing');

      await clearFaults();
      const genuine = await deliver(event, signed(event, eventId, new Date(), secret));
      // Processed, not "duplicate": none of the refused deliveries recorded the event id.
      expect(genuine).toEqual({ status: 200, json: { received: true, result: 'processed' } });
      const order = await waitForStatus(system, who, orderId, ['confirmed', 'cancelled']);

      const replayed = await deliver(event, signed(event, eventId, new Date(), secret));
      expect(replayed).toEqual({ status: 200, json: { received: true, result: 'duplicate' } });
      const record = await expectChargedOnce(order, sku, before);
      expect(record.ledger.find((e) => e.kind === 'authorization')?.source).toBe('webhook');
    });
  });

  it('when the card has insufficient funds, then the order is cancelled, the customer reads why in plain words, the stock is released and nothing is captured', async () => {
    const sku = nextSku();
    const { who, orderId, order, before } = await orderAndWait(sku, 'pm_card_chargeDeclinedInsufficientFunds');

    expect(order.status).toBe('cancelled');
    const failedStep = order.timeline.find((e) => e.step === 'authorizePayment' && e.status === 'failed');
    expect(failedStep?.reason).toMatch(/insufficient funds/i);
    expect(JSON.stringify((await getOrder(system, who, orderId)).timeline)).not.toMatch(/insufficient_funds|card_declined|402/);
    await waitFor(async () => (await stockOf(system, sku)).available === before.available, {
      timeoutMs: 30_000,
      description: `the stock of ${sku} to be released`,
    });
    expect(await stockOf(system, sku)).toEqual(before);
    const ledger = await providerLedger(system, orderId);
    expect(ledger).toEqual([]);
    expect((await paymentOf(orderId))?.payment).toMatchObject({
      status: 'failed',
      captured: { amount: 0 },
      failure: { code: 'insufficient_funds' },
    });
  });
});
