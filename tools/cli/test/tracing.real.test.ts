/**
 * Traces in the distributed mode: every part exports its spans (OTLP/HTTP, JSON) to a receiver in
 * this test. One checkout through the gateway is one trace, across HTTP, SQL, the outbox relays
 * and RabbitMQ, and no span carries the card token or a secret.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../src/services.js';
import { startTestSystem, type TestSystem } from './support/distributed.js';
import { checkout, DEMO_SKUS, orderBody, waitForMail, waitForStatus } from './support/shop.js';

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
  arrayValue?: { values: OtlpValue[] };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: OtlpValue }[];
  links?: { traceId: string; spanId: string }[];
}
interface ReceivedSpan extends OtlpSpan {
  service: string;
  attrs: Record<string, unknown>;
}

/** OTLP span kinds (opentelemetry-proto trace.proto). */
const KIND = { server: 2, client: 3, producer: 4, consumer: 5 } as const;

const plain = (v: OtlpValue): unknown =>
  v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue ?? v.arrayValue?.values.map(plain) ?? null;

/** An OTLP/HTTP receiver (what a collector does): keeps every span it is sent, and the raw bodies. */
async function startOtlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; raw: string[]; close(): Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const raw: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      raw.push(text);
      if (req.url === '/v1/traces') {
        const body = JSON.parse(text) as {
          resourceSpans: { resource: { attributes: { key: string; value: OtlpValue }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
        };
        for (const rs of body.resourceSpans) {
          const service = String(plain(rs.resource.attributes.find((a) => a.key === 'service.name')?.value ?? {}));
          for (const ss of rs.scopeSpans)
            for (const s of ss.spans)
              spans.push({ ...s, service, attrs: Object.fromEntries((s.attributes ?? []).map((a) => [a.key, plain(a.value)])) });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    raw,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('traces, distributed', () => {
  let system: TestSystem;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const tracing = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100' };
    const env: Record<string, Record<string, string>> = Object.fromEntries(SYSTEM.map((e) => [e.module.name, { ...tracing }]));
    // Orders' request lines (info) are what the log test reads.
    env.orders = { ...tracing, LOG_LEVEL: 'info' };
    system = await startTestSystem({ env });
  }, 180_000);

  afterAll(async () => {
    await system?.stop();
    await receiver?.close();
  });

  /** Every span of a trace has its parent in the trace, and exactly one span has none. */
  function expectWhole(spans: ReceivedSpan[]): ReceivedSpan {
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const roots = spans.filter((s) => !s.parentSpanId);
    expect(roots.map((s) => `${s.service} ${s.name}`)).toHaveLength(1);
    for (const s of spans) {
      if (s.parentSpanId) expect(byId.has(s.parentSpanId), `parent of ${s.service} ${s.name}`).toBe(true);
      for (const l of s.links ?? []) expect(l.traceId).toBe(s.traceId);
    }
    return roots[0] as ReceivedSpan;
  }

  /** Each consumer span is the child of the publish span the relay made for that very message. */
  function expectHops(spans: ReceivedSpan[]): void {
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    for (const c of spans.filter((s) => s.kind === KIND.consumer)) {
      const producer = byId.get(c.parentSpanId ?? '');
      expect(producer, `producer of ${c.service} ${c.name}`).toMatchObject({ kind: KIND.producer });
      expect(producer?.attrs['messaging.message.id']).toBe(c.attrs['messaging.message.id']);
      expect(producer?.attrs['messaging.destination.name']).toBe(c.attrs['messaging.destination.name']);
      expect(producer?.name).toBe(`send ${String(c.attrs['messaging.destination.name'])}`);
      expect(c.name).toBe(`process ${String(c.attrs['messaging.destination.name'])}`);
      expect(c.attrs['messaging.system']).toBe('rabbitmq');
      expect(c.attrs['messaging.consumer.group.name']).toBe(c.service);
    }
  }

  it('a checkout through the gateway is one trace across HTTP, SQL, the outbox relays and RabbitMQ, and no span holds the card token or a secret', async () => {
    const customer = `cust-${randomUUID()}`;
    const body = orderBody({ sku: DEMO_SKUS[0] as string });
    const accepted = await checkout(system, customer, body);
    await waitForStatus(system, customer, accepted.orderId, 'confirmed');
    await waitForMail(system, body.email);

    // The trace begins at the gateway's span for this POST (the only checkout of this system).
    const isCheckout = (s: ReceivedSpan) => s.service === 'gateway' && s.kind === KIND.server && s.name === 'POST /api/orders';
    await expect.poll(() => receiver.spans.some(isCheckout), { timeout: 30_000 }).toBe(true);
    const root = receiver.spans.find(isCheckout) as ReceivedSpan;
    expect(root.attrs['http.route']).toBe('/api/orders');
    const traceOf = (id: string) => receiver.spans.filter((s) => s.traceId === id);

    // Orders reserves stock (inventory), then asks payments to authorize: each a RabbitMQ hop.
    await expect
      .poll(
        () =>
          traceOf(root.traceId)
            .filter((s) => s.kind === KIND.consumer)
            .map((s) => s.service),
        { timeout: 30_000 },
      )
      .toEqual(expect.arrayContaining(['inventory', 'orders', 'payments']));
    const spans = traceOf(root.traceId);
    expect(expectWhole(spans)).toBe(root);
    expectHops(spans);
    expect([...new Set(spans.map((s) => s.service))]).toEqual(expect.arrayContaining(['gateway', 'orders', 'inventory', 'payments']));
    const byId = new Map(spans.map((s) => [s.spanId, s]));

    // HTTP out and in: the gateway's call to orders is the parent of orders' server span.
    const ordersServer = spans.find((s) => s.service === 'orders' && s.kind === KIND.server && s.name === 'POST /api/orders');
    expect(byId.get(ordersServer?.parentSpanId ?? '')).toMatchObject({ service: 'gateway', kind: KIND.client });
    // The first hop: the reservation request is published by orders' relay, in the request's trace.
    const reserve = spans.find((s) => s.kind === KIND.consumer && s.service === 'inventory');
    expect(byId.get(reserve?.parentSpanId ?? '')?.service).toBe('orders');

    // SQL nests under the requests and messages that ran it.
    const sql = spans.filter((s) => s.kind === KIND.client && (s.attrs['db.system.name'] ?? s.attrs['db.system']) === 'postgresql');
    expect([...new Set(sql.map((s) => s.service))]).toEqual(expect.arrayContaining(['orders', 'inventory', 'payments']));
    expect(sql.some((s) => byId.get(s.parentSpanId ?? '')?.kind === KIND.consumer)).toBe(true);

    // The rest of the saga (payment outcome → confirmation → e-mail) stays in the same trace: the
    // payments worker runs each queued operation in the trace it was asked for in, so its provider
    // calls and its replies continue the checkout's story up to notifications.
    await expect
      .poll(
        () =>
          traceOf(root.traceId)
            .filter((s) => s.kind === KIND.consumer)
            .map((s) => s.service),
        { timeout: 30_000 },
      )
      .toEqual(expect.arrayContaining(['inventory', 'orders', 'payments', 'notifications']));
    const whole = traceOf(root.traceId);
    expect(expectWhole(whole)).toBe(root);
    expectHops(whole);
    // The provider call (undici client span of payments) is in the trace too.
    expect(
      whole.some(
        (s) =>
          s.service === 'payments' &&
          s.kind === KIND.client &&
          s.attrs['db.system'] === undefined &&
          s.attrs['db.system.name'] === undefined,
      ),
    ).toBe(true);
    // One checkout, one trace: no other trace reached notifications.
    expect(new Set(receiver.spans.filter((s) => s.service === 'notifications' && s.kind === KIND.consumer).map((s) => s.traceId))).toEqual(
      new Set([root.traceId]),
    );

    // Safe telemetry (STYLE.md §13): nothing exported holds the card token, a secret or a credential header.
    const exported = receiver.raw.join('\n');
    expect(exported).toContain(root.traceId);
    for (const secret of ['pm_card_visa', system.secrets.providerKey, system.secrets.providerWebhookSecret, system.secrets.partnerSecret]) {
      expect(exported).not.toContain(secret);
    }
    // The Idempotency-Key the client sent travels in a header and a SQL parameter: neither is recorded.
    expect(exported).not.toContain(accepted.key);
    const headerAttributes = receiver.spans
      .flatMap((s) => Object.keys(s.attrs))
      .filter((k) => /^http\.(request|response)\.header\./.test(k));
    expect(headerAttributes).toEqual([]);
  }, 180_000);

  it('log lines written within a span carry its trace id and span id', async () => {
    const spans = receiver.spans.filter((s) => s.service === 'orders');
    expect(spans.length).toBeGreaterThan(0);
    const lines = system
      .output('orders')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { trace_id?: string; span_id?: string });
    const traced = lines.filter((l) => l.trace_id);
    expect(traced.length).toBeGreaterThan(0);
    const known = new Set(spans.map((s) => `${s.traceId}/${s.spanId}`));
    expect(traced.some((l) => known.has(`${l.trace_id}/${l.span_id}`))).toBe(true);
  });
});
