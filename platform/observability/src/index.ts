export { createLogger, type Logger, REDACT_PATHS } from './logger.js';
export { createMetrics, type Metrics } from './metrics.js';
export {
  activeTraceFields,
  bindToActiveContext,
  contextOfCarrier,
  endSpanWithError,
  flushTraces,
  inProcessSpan,
  inTraceOf,
  nameActiveHttpSpan,
  type ProcessSpanOptions,
  startPublishSpan,
  type TraceCarrier,
  type TracedMessage,
  traceCarrierOf,
} from './tracing.js';
export { startTracing, type Tracing, tracingConfigured } from './sdk.js';
export type { Span } from '@opentelemetry/api';
