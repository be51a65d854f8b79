/**
 * The metrics of the Observability issue (test 2), end to end: every part its own process, real
 * RabbitMQ, orders placed through the gateway. Each test reads every part's /metrics before and
 * after the behaviour and asserts what moved: a confirmed checkout, a declined card, a partner
 * endpoint failing until its webhook is parked, a poison message, a message delivered twice.
 */
import { randomUUID } from 'node:crypto';
import { OrdersOrderCancelledV1 } from '@emporium/contracts';
import { createEnvelope, RabbitMqTransport } from '@emporium/messaging';
import { createLogger } from '@emporium/observability';
import { testAmqpUrl } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from './support/distributed.js';
import { delta, hasSeries, type Scrape, scrapeAll, sampleSum } from './support/metrics.js';
import { checkout, DEMO_SKUS, orderBody, waitForMail, waitForPartnerHooks, waitForStatus } from './support/shop.js';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
/** Parts that consume messages, each from its own queue. */
const CONSUMERS = ['inventory', 'payments', 'orders', 'notifications'] as const;

describe('metrics, distributed: every part’s /metrics moves with what happened', () => {
  let system: TestSystem;
  let skuIndex = 11;
  const nextSku = () => DEMO_SKUS[skuIndex++ % DEMO_SKUS.length] as string;
  const scrape = () => scrapeAll(system.urls);
  const queue = (service: string) => `${system.exchange}.${service}`;

  beforeAll(async () => {
    system = await startTestSystem({
      env: {
        // A failing partner endpoint is given up after two quick retries (the default schedule is days).
        notifications: { NOTIFICATIONS_RETRY_SCHEDULE_MS: '100,200' },
      },
    });
  }, 180_000);

  afterAll(async () => {
    await system?.stop();
  }, 60_000);

  /** Reads every part until `settled` holds of the reading (the last steps land after the order's status). */
  async function scrapeUntil(settled: (after: Scrape) => boolean, description: string): Promise<Scrape> {
    let last: Scrape | undefined;
    await expect
      .poll(
        async () => {
          last = await scrape();
          return settled(last);
        },
        { timeout: 30_000, interval: 200, message: description },
      )
      .toBe(true);
    return last as Scrape;
  }

  it('every part exports its process metrics and HTTP RED series, and the named messaging and saga series exist from the start', async () => {
    const now = await scrape();
    for (const part of Object.keys(system.urls)) {
      expect(hasSeries(now, part, 'process_cpu_seconds_total') || hasSeries(now, part, 'nodejs_eventloop_lag_seconds'), part).toBe(true);
    }
    for (const part of CONSUMERS) {
      expect(sampleSum(now, part, 'emporium_broker_connected'), part).toBe(1);
      expect(now.get(part)?.text, part).toContain('# TYPE emporium_inbox_duplicates_total counter');
      expect(hasSeries(now, part, 'emporium_outbox_pending_messages'), part).toBe(true);
      expect(hasSeries(now, part, 'emporium_outbox_oldest_pending_age_seconds'), part).toBe(true);
    }
    // Both saga outcomes exist before the first order ends, so rate() and alerts see the first one.
    for (const outcome of ['confirmed', 'cancelled']) {
      expect(hasSeries(now, 'orders', 'emporium_saga_duration_seconds_count', { outcome }), outcome).toBe(true);
    }
    for (const name of ['emporium_saga_stuck', 'emporium_orders_by_state', 'emporium_payments_unknown_outcome']) {
      const part = name.includes('payments') ? 'payments' : 'orders';
      expect(hasSeries(now, part, name), name).toBe(true);
    }
    for (const channel of ['email', 'webhook']) {
      expect(hasSeries(now, 'notifications', 'emporium_notifications_parked_total', { channel }), channel).toBe(true);
    }
  });

  it('when a customer checks out with a good card, then orders, saga, messaging, payments, notifications and HTTP series move, and no route label carries an id', async () => {
    const customer = `metrics-${randomUUID().slice(0, 8)}`;
    const body = orderBody({ sku: nextSku() });
    const before = await scrape();

    const { orderId } = await checkout(system, customer, body);
    await waitForStatus(system, customer, orderId, 'confirmed');
    await waitForMail(system, body.email);
    await waitForPartnerHooks(system, orderId);
    const after = await scrapeUntil(
      (now) =>
        delta(before, now, 'notifications', 'emporium_notifications_deliveries_total', { channel: 'email', outcome: 'delivered' }) >= 1 &&
        delta(before, now, 'notifications', 'emporium_notifications_deliveries_total', { channel: 'webhook', outcome: 'delivered' }) >= 1 &&
        CONSUMERS.every((p) => delta(before, now, p, 'emporium_messages_consumed_total', { queue: queue(p), outcome: 'ok' }) >= 1),
      'deliveries and consumption to be counted',
    );
    const moved = (part: string, name: string, labels: Record<string, string> = {}) => delta(before, after, part, name, labels);

    // Orders and the saga.
    expect(moved('orders', 'emporium_orders_created_total')).toBe(1);
    expect(moved('orders', 'emporium_orders_by_state', { state: 'confirmed' })).toBe(1);
    for (const step of ['reserveStock', 'authorizePayment', 'commitStockAndCapture']) {
      expect(moved('orders', 'emporium_saga_step_duration_seconds_count', { step }), step).toBe(1);
    }
    expect(moved('orders', 'emporium_saga_duration_seconds_count', { outcome: 'confirmed' })).toBe(1);
    expect(moved('orders', 'emporium_saga_duration_seconds_sum', { outcome: 'confirmed' })).toBeGreaterThan(0);
    expect(moved('orders', 'emporium_saga_duration_seconds_count', { outcome: 'cancelled' })).toBe(0);
    expect(moved('orders', 'emporium_saga_compensations_total')).toBe(0);

    // Messaging: each consumer handled messages from its own queue, each publisher's relay published.
    for (const part of CONSUMERS) {
      expect(moved(part, 'emporium_messages_consumed_total', { queue: queue(part), outcome: 'ok' }), part).toBeGreaterThanOrEqual(1);
      expect(moved(part, 'emporium_message_handler_duration_seconds_count', { queue: queue(part) }), part).toBeGreaterThanOrEqual(1);
      expect(moved(part, 'emporium_messages_consumed_total', { outcome: 'parked' }), part).toBe(0);
    }
    for (const part of ['orders', 'inventory', 'payments']) {
      expect(moved(part, 'emporium_outbox_published_total'), part).toBeGreaterThanOrEqual(1);
    }
    expect(moved('orders', 'emporium_outbox_published_total', { type: 'orders.order.confirmed.v1' })).toBe(1);

    // Payments and stock.
    expect(moved('payments', 'emporium_payments_operations_total', { kind: 'authorize', outcome: 'succeeded' })).toBe(1);
    expect(moved('payments', 'emporium_payments_operations_total', { kind: 'capture', outcome: 'succeeded' })).toBe(1);
    expect(moved('payments', 'emporium_payments_operations_total', { outcome: 'failed' })).toBe(0);
    expect(moved('inventory', 'emporium_inventory_reservations_total')).toBeGreaterThanOrEqual(1);

    // Notifications, per channel.
    expect(
      moved('notifications', 'emporium_notifications_deliveries_total', { channel: 'email', outcome: 'delivered' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      moved('notifications', 'emporium_notifications_deliveries_total', { channel: 'webhook', outcome: 'delivered' }),
    ).toBeGreaterThanOrEqual(1);
    expect(moved('notifications', 'emporium_notifications_parked_total')).toBe(0);

    // HTTP RED by route template, at the gateway and at orders.
    for (const part of ['gateway', 'orders']) {
      expect(
        moved(part, 'http_server_requests_total', { method: 'POST', route: '/api/orders', status_code: '202' }),
        part,
      ).toBeGreaterThanOrEqual(1);
      expect(
        moved(part, 'http_server_request_duration_seconds_count', { method: 'POST', route: '/api/orders' }),
        part,
      ).toBeGreaterThanOrEqual(1);
    }
    expect(moved('orders', 'http_server_requests_total', { method: 'GET', route: '/api/orders/:id' })).toBeGreaterThanOrEqual(1);

    // Bounded labels: no part names an order, or any id, in a label.
    for (const [part, { samples, text }] of after) {
      expect(text, part).not.toContain(orderId);
      expect(text, part).not.toContain(customer);
      for (const s of samples) {
        if (s.labels.route !== undefined) expect(s.labels.route, `${part} ${s.name}`).not.toMatch(UUID);
      }
    }
  });

  it('when the card is declined, then the failed authorization, the compensation and a cancelled saga are counted, and nothing is captured', async () => {
    const customer = `metrics-${randomUUID().slice(0, 8)}`;
    const before = await scrape();

    const { orderId } = await checkout(system, customer, orderBody({ sku: nextSku(), paymentMethod: 'pm_card_chargeDeclined' }));
    await waitForStatus(system, customer, orderId, 'cancelled');
    // The cancellation's notices are out too (a later test fails the partner on purpose).
    await waitForPartnerHooks(system, orderId);
    // Counted in the transactions that made the order cancelled: settled once it reads so.
    const after = await scrape();
    const moved = (part: string, name: string, labels: Record<string, string> = {}) => delta(before, after, part, name, labels);

    expect(moved('payments', 'emporium_payments_operations_total', { kind: 'authorize', outcome: 'failed' })).toBe(1);
    expect(moved('payments', 'emporium_payments_operations_total', { kind: 'authorize', outcome: 'succeeded' })).toBe(0);
    expect(moved('payments', 'emporium_payments_operations_total', { kind: 'capture' })).toBe(0);
    expect(moved('orders', 'emporium_saga_compensations_total', { step: 'reserveStock' })).toBe(1);
    expect(moved('orders', 'emporium_saga_duration_seconds_count', { outcome: 'cancelled' })).toBe(1);
    expect(moved('orders', 'emporium_saga_duration_seconds_count', { outcome: 'confirmed' })).toBe(0);
    expect(moved('orders', 'emporium_orders_by_state', { state: 'cancelled' })).toBe(1);
    expect(moved('orders', 'emporium_orders_by_state', { state: 'confirmed' })).toBe(0);
    expect(moved('orders', 'emporium_saga_step_duration_seconds_count', { step: 'authorizePayment' })).toBe(0);
  });

  it('when a partner endpoint keeps failing, then its webhook delivery fails, is retried, and is counted parked on the webhook channel', async () => {
    const partners = system.urls['partner-webhooks'] as string;
    const fault = await fetch(`${partners}/faults/demo-partner`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'error', status: 503 }),
    });
    expect(fault.status).toBe(200);
    try {
      const customer = `metrics-${randomUUID().slice(0, 8)}`;
      const body = orderBody({ sku: nextSku() });
      const before = await scrape();
      const { orderId } = await checkout(system, customer, body);
      await waitForStatus(system, customer, orderId, 'confirmed');
      const after = await scrapeUntil(
        (now) => delta(before, now, 'notifications', 'emporium_notifications_parked_total', { channel: 'webhook' }) >= 1,
        'the webhook delivery to be parked',
      );
      const moved = (name: string, labels: Record<string, string>) => delta(before, after, 'notifications', name, labels);
      expect(moved('emporium_notifications_parked_total', { channel: 'webhook' })).toBe(1);
      expect(moved('emporium_notifications_deliveries_total', { channel: 'webhook', outcome: 'failed' })).toBe(2);
      expect(moved('emporium_notifications_deliveries_total', { channel: 'webhook', outcome: 'parked' })).toBe(1);
      expect(moved('emporium_notifications_deliveries_total', { channel: 'webhook', outcome: 'delivered' })).toBe(0);
      expect(moved('emporium_notifications_parked_total', { channel: 'email' })).toBe(0);
    } finally {
      await fetch(`${partners}/faults/demo-partner`, { method: 'DELETE' });
    }
  });

  describe('messages sent straight to the exchange', () => {
    let transport: RabbitMqTransport;
    beforeAll(async () => {
      transport = new RabbitMqTransport({
        url: testAmqpUrl(),
        exchange: system.exchange,
        logger: createLogger({ service: 'metrics-test', level: 'silent', pretty: false }),
      });
      await transport.connect();
    });
    afterAll(async () => {
      await transport?.close();
    });

    it('when a message no handler can read arrives (a poison message), then it is parked at once and counted parked for its queue and type, never retried', async () => {
      const before = await scrape();
      const type = 'orders.order.confirmed.v1';
      // Valid envelope, data that fails the message's schema: the consumer can never apply it.
      await transport.publish([
        {
          id: randomUUID(),
          type,
          source: 'metrics-test',
          time: new Date().toISOString(),
          schemaVersion: 1,
          data: { orderId: 'not-an-order' },
        },
      ]);
      const labels = { queue: queue('notifications'), type };
      const after = await scrapeUntil(
        (now) => delta(before, now, 'notifications', 'emporium_messages_consumed_total', { ...labels, outcome: 'parked' }) >= 1,
        'the poison message to be parked',
      );
      expect(delta(before, after, 'notifications', 'emporium_messages_consumed_total', { ...labels, outcome: 'parked' })).toBe(1);
      expect(delta(before, after, 'notifications', 'emporium_messages_consumed_total', { ...labels, outcome: 'retried' })).toBe(0);
      expect(delta(before, after, 'notifications', 'emporium_messages_consumed_total', { ...labels, outcome: 'ok' })).toBe(0);
    });

    it('when the same message is delivered twice, then the second is skipped by the inbox and counted as a duplicate for its consumer and type', async () => {
      const orderId = randomUUID();
      const envelope = createEnvelope(
        OrdersOrderCancelledV1,
        {
          orderId,
          customerId: `metrics-${orderId.slice(0, 8)}`,
          email: `dup-${orderId.slice(0, 8)}@example.test`,
          reason: 'metrics test',
          refunded: false,
        },
        { source: 'metrics-test', subject: orderId },
      );
      const type = envelope.type;
      const labels = { consumer: 'notifications', type };
      const before = await scrape();

      await transport.publish([envelope]);
      await scrapeUntil(
        (now) =>
          delta(before, now, 'notifications', 'emporium_messages_consumed_total', { queue: queue('notifications'), type, outcome: 'ok' }) >=
          1,
        'the first copy to be handled',
      );
      await transport.publish([envelope]);
      const after = await scrapeUntil(
        (now) =>
          delta(before, now, 'notifications', 'emporium_messages_consumed_total', { queue: queue('notifications'), type, outcome: 'ok' }) >=
          2,
        'the second copy to be handled',
      );
      expect(delta(before, after, 'notifications', 'emporium_inbox_duplicates_total', labels)).toBe(1);
      expect(after.get('notifications')?.text).toContain('# TYPE emporium_inbox_duplicates_total counter');
    });
  });
});
