/**
 * The outbox carries the trace: a message appended while a span is active stores that span's W3C
 * context with it; without tracing (no SDK: @opentelemetry/api's no-op) nothing is added. The
 * "on" case registers the real OpenTelemetry Node SDK tracer, as register.ts does in a service.
 */
import { createDb, type Db, migrate, sql } from '@emporium/db';
import { appendToOutbox, createEnvelope, InvalidMessageError, outboxMigrations } from '@emporium/messaging';
import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { createTestDatabase } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry, TestEvent } from './harness.js';

describe('the outbox and the trace context', () => {
  let db: Db<any>;

  beforeAll(async () => {
    db = createDb<any>(await createTestDatabase('outbox_trace'), { max: 2 });
    await migrate(db, outboxMigrations, 'platform_migrations');
  });
  afterAll(async () => {
    trace.disable();
    context.disable();
    propagation.disable();
    await db?.destroy();
  });

  const append = async (n: number, traceparent?: string) => {
    const envelope = createEnvelope(TestEvent, { n }, { source: 'test', ...(traceparent ? { traceparent } : {}) });
    await db.transaction().execute((trx) => appendToOutbox(trx, registry, envelope));
    const row = await sql<{ envelope: Record<string, unknown> }>`SELECT envelope FROM outbox WHERE id = ${envelope.id}::uuid`.execute(db);
    return row.rows[0]?.envelope as Record<string, unknown>;
  };

  it('with tracing off, an appended message gets no trace field, even inside a span', async () => {
    const stored = await trace.getTracer('test').startActiveSpan('request', async (span) => {
      try {
        return await append(1);
      } finally {
        span.end();
      }
    });
    expect(stored).not.toHaveProperty('traceparent');
    expect(stored).not.toHaveProperty('tracestate');
    expect(stored.data).toEqual({ n: 1 });
  });

  it('with tracing on, a message appended within a span stores that span as its parent; one that has a context keeps it', async () => {
    const exporter = new InMemorySpanExporter();
    new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();

    const { stored, ids } = await trace.getTracer('test').startActiveSpan('request', async (span) => {
      try {
        return { stored: await append(2), ids: span.spanContext() };
      } finally {
        span.end();
      }
    });
    expect(stored.traceparent).toBe(`00-${ids.traceId}-${ids.spanId}-01`);

    const earlier = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const kept = await trace.getTracer('test').startActiveSpan('replay', async (span) => {
      try {
        return await append(3, earlier);
      } finally {
        span.end();
      }
    });
    expect(kept.traceparent).toBe(earlier);

    // Outside any span there is nothing to carry.
    expect(await append(4)).not.toHaveProperty('traceparent');
  });

  it('a malformed traceparent makes the envelope invalid; an envelope without one stays valid', () => {
    const plain = createEnvelope(TestEvent, { n: 5 }, { source: 'test' });
    expect(() => registry.validate(plain)).not.toThrow();
    const bad = { ...plain, traceparent: 'not-a-trace-context' };
    expect(() => registry.validate(bad)).toThrow(InvalidMessageError);
  });
});
