import type { IncomingMessage } from 'node:http';

/**
 * Starting the OpenTelemetry SDK. Only register.ts calls it, before any module of the app is
 * loaded (`node --import`): under ESM the instrumentations hook modules through a loader that
 * must be in place first, or `pg` and the HTTP server are never patched.
 */

type Env = Record<string, string | undefined>;

/**
 * Tracing is on only with an OTLP endpoint and not switched off (`OTEL_TRACES_EXPORTER=none`,
 * `OTEL_SDK_DISABLED=true`). Off, nothing is imported or started and @opentelemetry/api stays
 * its no-op: no cost on any request or message.
 */
export function tracingConfigured(env: Env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? 'otlp').split(',').map((s) => s.trim());
  if (exporters.includes('none')) return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/** Probes and scrapes are not traced: they would be most of the spans and tell nothing. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export interface Tracing {
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

/**
 * Starts the SDK when tracing is configured: OTLP/HTTP export (JSON) in batches, the resource
 * named after the service (`OTEL_SERVICE_NAME`), and instrumentations for the HTTP server and
 * client (node:http), undici (our HTTP client) and pg. Our own spans cover RabbitMQ and the
 * outbox (see tracing.ts), so no amqplib instrumentation: it would add a second, unrelated
 * context to every message.
 *
 * What the spans may hold (STYLE.md §13): pg records the statement text, never its parameters
 * (`enhancedDatabaseReporting` stays off); HTTP spans record no header unless asked
 * (`headersToSpanAttributes` is not set, so no Authorization, Cookie or Idempotency-Key); URLs
 * keep their query, whose known credential parameters the instrumentation redacts — ours carry
 * none.
 */
export async function startTracing(env: Env): Promise<Tracing | undefined> {
  if (!tracingConfigured(env)) return undefined;
  const { register } = await import('node:module');
  const { createAddHookMessageChannel } = await import('import-in-the-middle');
  // Only the modules an instrumentation hooks go through the loader (the rest load as usual).
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, registerOptions);

  const [{ NodeSDK }, { OTLPTraceExporter }, { HttpInstrumentation }, { UndiciInstrumentation }, { PgInstrumentation }] = await Promise.all(
    [
      import('@opentelemetry/sdk-node'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/instrumentation-http'),
      import('@opentelemetry/instrumentation-undici'),
      import('@opentelemetry/instrumentation-pg'),
    ],
  );
  const sdk = new NodeSDK({
    ...(env.OTEL_SERVICE_NAME ? { serviceName: env.OTEL_SERVICE_NAME } : {}),
    traceExporter: new OTLPTraceExporter(),
    // Metrics are Prometheus' (/metrics) and logs go to stdout: the SDK exports neither.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req: IncomingMessage) => UNTRACED_PATHS.has((req.url ?? '').split('?')[0] ?? ''),
        // Outgoing calls go through undici (its own instrumentation); node:http ones only within a trace.
        requireParentforOutgoingSpans: true,
      }),
      new UndiciInstrumentation({ requireParentforSpans: true }),
      // Pollers and relays query all the time: only SQL within a trace (a request, a message) is recorded.
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
    ],
  });
  sdk.start();
  await waitForAllMessagesAcknowledged();
  return { shutdown: () => sdk.shutdown() };
}
