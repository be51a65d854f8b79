import {
  type CircuitBreakerPolicy,
  circuitBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  type IBackoff,
  type IBackoffFactory,
  type IRetryBackoffContext,
  retry,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import { AttemptFailure } from './failures.js';
import type { ClientTelemetry } from './telemetry.js';

export interface PolicySettings {
  timeoutMs: number;
  deadlineMs: number;
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  consecutiveFailures: number;
  halfOpenAfterMs: number;
}

export interface CallPolicies {
  breaker: CircuitBreakerPolicy;
  /**
   * Runs one call, outermost first: a deadline over the whole call → retries with jittered backoff
   * (only when the request is safe to repeat) → the callee's circuit breaker → a timeout per attempt.
   * The attempt receives the signal that aborts it (its timeout, the deadline, or the caller).
   */
  execute<T>(retrySafe: boolean, attempt: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T>;
}

/**
 * Exponential backoff with decorrelated jitter, except that a callee's own Retry-After (already
 * bounded by the client) decides the wait when it sent one.
 */
function honouringRetryAfter(jitter: IBackoffFactory<unknown>): IBackoffFactory<IRetryBackoffContext<unknown>> {
  const after = (previous: IBackoff<unknown> | undefined): IBackoffFactory<IRetryBackoffContext<unknown>> => ({
    next(context): IBackoff<IRetryBackoffContext<unknown>> {
      const jittered = previous ? previous.next(context) : jitter.next(context);
      const failure = 'error' in context.result && context.result.error instanceof AttemptFailure ? context.result.error : undefined;
      return { duration: failure?.details.retryAfterMs ?? jittered.duration, next: after(jittered).next };
    },
  });
  return after(undefined);
}

export function createCallPolicies(settings: PolicySettings, telemetry: ClientTelemetry): CallPolicies {
  const breaker = circuitBreaker(
    handleWhen((error) => error instanceof AttemptFailure && error.opensBreaker),
    { breaker: new ConsecutiveBreaker(settings.consecutiveFailures), halfOpenAfter: settings.halfOpenAfterMs },
  );
  breaker.onStateChange((state) => telemetry.breaker(state));

  // cockatiel counts retries, not attempts: maxAttempts 3 means the first attempt and 2 retries.
  const retrying = retry(
    handleWhen((error) => error instanceof AttemptFailure && error.details.retryable),
    {
      maxAttempts: Math.max(0, settings.maxAttempts - 1),
      backoff: honouringRetryAfter(new ExponentialBackoff({ initialDelay: settings.initialDelayMs, maxDelay: settings.maxDelayMs })),
    },
  );
  retrying.onRetry((event) => telemetry.retry(event.attempt, event.delay, 'error' in event ? event.error.message : 'result'));

  // The deadline throws as soon as it passes (aggressive); the per-attempt timeout aborts the
  // attempt's fetch through its signal, and the attempt reports it as a timeout (cooperative).
  const deadline = timeout(settings.deadlineMs, TimeoutStrategy.Aggressive);
  const perAttempt = timeout(settings.timeoutMs, TimeoutStrategy.Cooperative);
  const withRetries = wrap(deadline, retrying, breaker, perAttempt);
  const once = wrap(deadline, breaker, perAttempt);

  return {
    breaker,
    execute: (retrySafe, attempt, signal) => (retrySafe ? withRetries : once).execute(({ signal: s }) => attempt(s), signal),
  };
}
