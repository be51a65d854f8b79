/**
 * The tracing entry, loaded before the app: `node --import @emporium/observability/register main.js`
 * (start-distributed passes it to every part). It starts the OpenTelemetry SDK when an OTLP endpoint
 * is configured and does nothing otherwise. It reads the standard OTEL_* variables itself: it runs
 * before any composition root exists.
 */
import { startTracing } from './sdk.js';

const tracing = await startTracing(process.env);
if (tracing) {
  // SIGTERM is handled by the service (drain, then exit after flushTraces()); this covers an exit
  // by other means that still lets the event loop end.
  process.once('beforeExit', () => void tracing.shutdown());
}
