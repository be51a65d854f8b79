/**
 * Tracing in one process: off unless an OTLP endpoint is configured; log lines written within a
 * span carry its ids; the message spans nest as the messaging conventions say. The "on" cases
 * register the real OpenTelemetry Node tracer (what register.ts starts in a service).
 */
import { Writable } from 'node:stream';
import {
  contextOfCarrier,
  createLogger,
  inProcessSpan,
  startPublishSpan,
  traceCarrierOf,
  tracingConfigured,
} from '@emporium/observability';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { afterAll, describe, expect, it } from 'vitest';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, destination };
}

describe('tracing', () => {
  afterAll(() => {
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('is configured only by an OTLP endpoint, and switched off by OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED', () => {
    expect(tracingConfigured({})).toBe(false);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' })).toBe(false);
  });

  it('without an SDK nothing is carried or logged, and a message is processed all the same', async () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 'orders', pretty: false, destination });
    const message = { id: 'm-1', type: 'orders.order.placed.v1' };
    const result = await inProcessSpan(message, { system: 'rabbitmq', consumer: 'inventory', attempt: 1 }, async () => {
      log.info('handled');
      return traceCarrierOf();
    });
    expect(result).toEqual({});
    expect(startPublishSpan('rabbitmq', message)).toBeUndefined();
    expect(lines[0]).not.toHaveProperty('trace_id');
  });

  it('with tracing on, log lines within a span carry its trace_id and span_id, and publish → process is parent → child', async () => {
    const exporter = new InMemorySpanExporter();
    new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
    const { lines, destination } = capture();
    const log = createLogger({ service: 'orders', pretty: false, destination });

    // A request creates the message (its context is what the outbox stores)…
    const created = trace.getTracer('test').startActiveSpan('POST /orders', (span) => {
      log.info('order placed');
      span.end();
      return { id: 'm-2', type: 'orders.order.placed.v1', ...traceCarrierOf() };
    });
    // …the relay publishes it (a PRODUCER span, child of that context)…
    const publish = startPublishSpan('rabbitmq', created);
    expect(publish).toBeDefined();
    publish?.span.end();
    // …and the consumer processes the copy that carries the publish span.
    await inProcessSpan({ ...created, ...publish?.carrier }, { system: 'rabbitmq', consumer: 'inventory', attempt: 1 }, async () => {
      log.info('stock reserved');
    });
    log.info('outside any span');

    const spans = exporter.getFinishedSpans();
    const request = spans.find((s) => s.name === 'POST /orders');
    const send = spans.find((s) => s.name === 'send orders.order.placed.v1');
    const processed = spans.find((s) => s.name === 'process orders.order.placed.v1');
    expect(send?.kind).toBe(SpanKind.PRODUCER);
    expect(processed?.kind).toBe(SpanKind.CONSUMER);
    expect(send?.parentSpanContext?.spanId).toBe(request?.spanContext().spanId);
    expect(processed?.parentSpanContext?.spanId).toBe(send?.spanContext().spanId);
    expect(processed?.attributes).toMatchObject({
      'messaging.system': 'rabbitmq',
      'messaging.destination.name': 'orders.order.placed.v1',
      'messaging.message.id': 'm-2',
      'messaging.consumer.group.name': 'inventory',
    });
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);

    expect(lines[0]).toMatchObject({
      msg: 'order placed',
      trace_id: request?.spanContext().traceId,
      span_id: request?.spanContext().spanId,
    });
    expect(lines[1]).toMatchObject({
      msg: 'stock reserved',
      trace_id: request?.spanContext().traceId,
      span_id: processed?.spanContext().spanId,
    });
    expect(lines[2]).not.toHaveProperty('trace_id');
    expect(contextOfCarrier({})).toBe(context.active());
  });
});
