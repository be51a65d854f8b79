export { createHttpClient, type HttpClient, type HttpClientOptions, type HttpRequest, type BreakerState } from './client.js';
export type { HttpResponse } from './response.js';
export { UpstreamError, type UpstreamErrorCode } from './failures.js';
export { HOP_BY_HOP_HEADERS, hopByHopNames, type HeaderInput, type HeaderValue } from './headers.js';
export { isRetrySafe } from './idempotency.js';
export type { HttpClientMetrics, HttpClientLogger, CallOutcome } from './telemetry.js';
