import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

/**
 * What the platform needs of OpenTelemetry, through @opentelemetry/api only. Without an SDK
 * (tracing not configured: see register.ts) every call below is the API's no-op: nothing is
 * recorded, injected or allocated beyond a non-recording span object.
 */

/** W3C Trace Context (traceparent, tracestate) as it travels in an envelope. */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

const TRACER = '@emporium/platform';

/** The active trace context as W3C fields; empty when tracing is off or no span is active. */
export function traceCarrierOf(ctx: Context = context.active()): TraceCarrier {
  const fields: Record<string, string> = {};
  propagation.inject(ctx, fields);
  const carrier: TraceCarrier = {};
  if (fields.traceparent) carrier.traceparent = fields.traceparent;
  if (fields.tracestate) carrier.tracestate = fields.tracestate;
  return carrier;
}

/** The context a carrier names (the root context when it names none). */
export function contextOfCarrier(carrier: TraceCarrier): Context {
  if (!carrier.traceparent) return ROOT_CONTEXT;
  const fields: Record<string, string> = { traceparent: carrier.traceparent };
  if (carrier.tracestate) fields.tracestate = carrier.tracestate;
  return propagation.extract(ROOT_CONTEXT, fields);
}

/**
 * Runs `fn` in the trace a carrier names — work taken from a table (a queued operation, a
 * delivery) continues the trace it was queued in. A no-op without a carrier or with tracing off.
 */
export function inTraceOf<T>(carrier: TraceCarrier, fn: () => T): T {
  return carrier.traceparent ? context.with(contextOfCarrier(carrier), fn) : fn();
}

/** Trace and span id of the active span, for log lines (OTel's log field names). */
export function activeTraceFields(): { trace_id: string; span_id: string } | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const c = span.spanContext();
  if (!trace.isSpanContextValid(c)) return undefined;
  return { trace_id: c.traceId, span_id: c.spanId };
}

/** What a message span needs to know of its message (an Envelope fits). */
export interface TracedMessage extends TraceCarrier {
  id: string;
  type: string;
}

/**
 * Messaging semantic conventions (OTel semconv, messaging spans): `{operation} {destination}` as
 * the name, the system, the destination (our routing key is the message type), the message id.
 */
function messageAttributes(system: string, message: TracedMessage, operation: 'send' | 'process'): Attributes {
  return {
    'messaging.system': system,
    'messaging.operation.type': operation,
    'messaging.operation.name': operation === 'send' ? 'publish' : 'process',
    'messaging.destination.name': message.type,
    'messaging.rabbitmq.destination.routing_key': message.type,
    'messaging.message.id': message.id,
  };
}

/**
 * Starts the PRODUCER span of one message being published, as a child of the context the message
 * was created in (stored in the outbox with it). Returns the span and the carrier the published
 * copy must hold, so that the consumer's span is the child of this publish; both undefined when
 * the span is not recorded (tracing off): the message is then published as stored.
 */
export function startPublishSpan(system: string, message: TracedMessage): { span: Span; carrier: TraceCarrier } | undefined {
  const parent = contextOfCarrier(message);
  const span = trace
    .getTracer(TRACER)
    .startSpan(`send ${message.type}`, { kind: SpanKind.PRODUCER, attributes: messageAttributes(system, message, 'send') }, parent);
  if (!span.isRecording()) return undefined;
  return { span, carrier: traceCarrierOf(trace.setSpan(parent, span)) };
}

/** Ends a span as failed, naming only the error's class or code (its message may hold data). */
export function endSpanWithError(span: Span, error: unknown): void {
  const e = error as { name?: unknown; code?: unknown } | null;
  const type = typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'Error';
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
  span.end();
}

export interface ProcessSpanOptions {
  system: string;
  /** The consumer group (our queue, named after the consuming service). */
  consumer: string;
  attempt: number;
}

/**
 * Runs `fn` in the CONSUMER span that processes one message. The span is the child of the
 * publisher's context the message carries: the semantic conventions recommend the creation
 * context as parent when a span processes a single message (links are for batches), and it keeps
 * one checkout one trace. The handler's SQL, HTTP calls and outbox appends nest under it.
 */
export async function inProcessSpan<T>(message: TracedMessage, options: ProcessSpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const span = trace.getTracer(TRACER).startSpan(
    `process ${message.type}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        ...messageAttributes(options.system, message, 'process'),
        'messaging.consumer.group.name': options.consumer,
        'messaging.rabbitmq.message.delivery_attempt': options.attempt,
      },
    },
    contextOfCarrier(message),
  );
  if (!span.isRecording()) return fn(span);
  return context.with(trace.setSpan(context.active(), span), async () => {
    try {
      const result = await fn(span);
      span.end();
      return result;
    } catch (error) {
      endSpanWithError(span, error);
      throw error;
    }
  });
}

/** Binds `fn` to the active context (a no-op without tracing): it runs there wherever it is called. */
export function bindToActiveContext<F extends (...args: any[]) => unknown>(fn: F): F {
  return trace.getActiveSpan()?.isRecording() ? context.bind(context.active(), fn) : fn;
}

/** Names the active HTTP server span after its route template (never the raw path). */
export function nameActiveHttpSpan(method: string, route: string | undefined): void {
  const span = trace.getActiveSpan();
  if (!route || !span?.isRecording()) return;
  span.setAttribute('http.route', route);
  span.updateName(`${method} ${route}`);
}

/** Exports what is buffered (before a process exits); nothing to do without tracing. */
export async function flushTraces(): Promise<void> {
  const provider = trace.getTracerProvider() as { getDelegate?: () => unknown };
  const delegate = (provider.getDelegate?.() ?? provider) as { forceFlush?: () => Promise<void> };
  await delegate.forceFlush?.().catch(() => {});
}
