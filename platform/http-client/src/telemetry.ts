import { CircuitState } from 'cockatiel';

type Labels = Record<string, string>;

/** The part of @emporium/observability's Metrics the client uses (a service passes its own). */
export interface HttpClientMetrics {
  counter(name: string, help: string, labelNames?: readonly string[]): { inc(labels: Labels, value?: number): void };
  gauge(name: string, help: string, labelNames?: readonly string[]): { set(labels: Labels, value: number): void };
  histogram(
    name: string,
    help: string,
    labelNames?: readonly string[],
    buckets?: number[],
  ): { observe(labels: Labels, value: number): void };
}

/** The part of a pino logger the client uses. */
export interface HttpClientLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/**
 * How a call ended, as a bounded label: `success` (< 400), `client_error` (4xx), `server_error`
 * (another 5xx, handed back), `unavailable`, `timeout`, `circuit_open`, `cancelled` (by the caller).
 */
export type CallOutcome = 'success' | 'client_error' | 'server_error' | 'unavailable' | 'timeout' | 'circuit_open' | 'cancelled' | 'error';

export function outcomeOfStatus(status: number): CallOutcome {
  return status < 400 ? 'success' : status < 500 ? 'client_error' : 'server_error';
}

const KNOWN_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE', 'TRACE']);

/** Prometheus' convention for the breaker gauge: 0 closed, 1 half-open, 2 open. */
const BREAKER_GAUGE: Record<CircuitState, number> = {
  [CircuitState.Closed]: 0,
  [CircuitState.HalfOpen]: 1,
  [CircuitState.Open]: 2,
  [CircuitState.Isolated]: 2,
};

export interface ClientTelemetry {
  call(method: string, outcome: CallOutcome, seconds: number): void;
  retry(attempt: number, delayMs: number, reason: string): void;
  breaker(state: CircuitState): void;
}

export function clientTelemetry(callee: string, metrics?: HttpClientMetrics, logger?: HttpClientLogger): ClientTelemetry {
  const calls = metrics?.counter('emporium_http_client_requests_total', 'Outbound HTTP calls by callee, method and outcome', [
    'callee',
    'method',
    'outcome',
  ]);
  const duration = metrics?.histogram(
    'emporium_http_client_request_duration_seconds',
    'Time an outbound HTTP call took, retries and backoff included',
    ['callee'],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  const retries = metrics?.counter('emporium_http_client_retries_total', 'Outbound HTTP attempts sent again after a failure', ['callee']);
  const breakerState = metrics?.gauge('emporium_circuit_breaker_state', 'Circuit breaker per callee: 0 closed, 1 half-open, 2 open', [
    'callee',
  ]);
  breakerState?.set({ callee }, 0);

  return {
    call(method, outcome, seconds) {
      const m = method.toUpperCase();
      calls?.inc({ callee, method: KNOWN_METHODS.has(m) ? m : 'OTHER', outcome });
      duration?.observe({ callee }, seconds);
    },
    retry(attempt, delayMs, reason) {
      retries?.inc({ callee });
      logger?.debug({ callee, attempt, delayMs, reason }, 'retrying an outbound call');
    },
    breaker(state) {
      breakerState?.set({ callee }, BREAKER_GAUGE[state]);
      if (state === CircuitState.Open) logger?.warn({ callee }, 'circuit breaker opened: calls fail fast until a probe succeeds');
      else if (state === CircuitState.HalfOpen) logger?.info({ callee }, 'circuit breaker half-open: probing the callee');
      else if (state === CircuitState.Closed) logger?.info({ callee }, 'circuit breaker closed');
    },
  };
}
