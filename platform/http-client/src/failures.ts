import { AppError } from '@emporium/errors';
import type { HttpResponse } from './response.js';

export type AttemptFailureKind = 'network' | 'timeout' | 'unavailable' | 'throttled';

/**
 * One attempt's failure, thrown inside the policies so that the retry and the circuit breaker can
 * decide on it. It never leaves the client: callers see an UpstreamError or the response itself.
 */
export class AttemptFailure extends Error {
  constructor(
    readonly kind: AttemptFailureKind,
    message: string,
    readonly details: {
      /** Whether sending the request again could help (the request's own safety is decided apart). */
      retryable: boolean;
      response?: HttpResponse;
      /** The callee's own hint (Retry-After), already bounded by the client's maximum. */
      retryAfterMs?: number;
      cause?: unknown;
    },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'AttemptFailure';
  }

  /** Throttling says the callee is alive and busy; only signs of absence open the breaker. */
  get opensBreaker(): boolean {
    return this.kind !== 'throttled';
  }
}

export type UpstreamErrorCode = 'upstream_unavailable' | 'upstream_timeout';

/**
 * A call that did not get an answer: the callee is down, its circuit is open, it kept failing
 * (`upstream_unavailable`, 503) or it did not answer in time (`upstream_timeout`, 504).
 *
 * Its message names the callee and nothing else (no URL, no address), so it is written to be shown:
 * `expose` is true although the status is 5xx, and the problem body keeps the code a client can
 * act on (retry later) instead of a bare `internal_error`.
 */
export class UpstreamError extends AppError {
  override readonly expose = true;

  constructor(
    readonly callee: string,
    code: UpstreamErrorCode,
    cause?: unknown,
  ) {
    super(
      code,
      code === 'upstream_timeout'
        ? `The ${callee} service did not answer in time; try again later`
        : `The ${callee} service is unavailable; try again later`,
      code === 'upstream_timeout' ? 504 : 503,
      cause === undefined ? {} : { cause },
    );
    this.name = 'UpstreamError';
  }
}
