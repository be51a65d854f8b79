import type { Metrics } from '@emporium/observability';
import type { Envelope } from './envelope.js';

/**
 * What a consuming service declares: its queue (named after the service), the message types it
 * binds (topic patterns over the message type, e.g. `catalog.#`, `orders.order.placed.v1`), and
 * its retry policy.
 */
export interface QueueSpec {
  /** Queue name; by convention the consuming service's name. */
  name: string;
  /** Topic patterns over the message type (`*` one word, `#` zero or more). */
  bindings: string[];
  /** Attempts before a message is parked (the first delivery counts). Default 5. */
  maxAttempts?: number;
  /** Delay before attempt n+1 after attempt n failed; the last value repeats. Default [1s, 5s, 30s, 2m]. */
  retryDelaysMs?: number[];
  /** Messages handled at once. Default 16. */
  prefetch?: number;
}

export interface Delivery {
  /** 1 for the first delivery; counts redeliveries and retries. */
  attempt: number;
  queue: string;
}

/** Resolves → the message is acknowledged. Throws → retried with backoff, parked after maxAttempts. */
export type DeliveryHandler = (envelope: Envelope, delivery: Delivery) => Promise<void>;

/** Thrown by a handler for a message that can never succeed: parked at once, not retried. */
export class PermanentFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentFailure';
  }
}

export interface ParkedMessage {
  queue: string;
  envelope: Envelope | null;
  /** The raw body when it could not be parsed as an envelope. */
  raw?: string;
  attempts: number;
  lastError: string | undefined;
  parkedAt: string | undefined;
}

export interface ConsumerHandle {
  /** Stops taking new messages and waits for those in hand (graceful shutdown). */
  stop(): Promise<void>;
}

export interface TransportHealth {
  connected: boolean;
  /** True once the topology given to declare() exists on the broker. */
  topologyDeclared: boolean;
}

/**
 * The broker seen by the platform. Two implementations with the same guarantees:
 * RabbitMQ (distributed mode) and the embedded transport (PostgreSQL-backed, in-process).
 */
export interface ConsumeOptions {
  metrics?: Metrics | undefined;
}

export interface Transport {
  readonly kind: 'rabbitmq' | 'embedded';
  /** Declares the exchange, the queues, their retry and parking queues. Idempotent; run at start. */
  declare(queues: QueueSpec[]): Promise<void>;
  /** Resolves once the broker has durably accepted every message (publisher confirms). */
  publish(messages: Envelope[]): Promise<void>;
  /**
   * Starts consuming. `options.metrics`: the consuming service's registry, which then counts the
   * consumer's messages and the broker's state (one transport may serve several services in one
   * process; default: the transport's own registry, if any).
   */
  consume(spec: QueueSpec, handler: DeliveryHandler, options?: ConsumeOptions): Promise<ConsumerHandle>;
  listParked(queue: string, limit?: number): Promise<ParkedMessage[]>;
  /** Moves parked messages (all, or those with the given ids) back to their queue; returns how many. */
  replayParked(queue: string, ids?: string[]): Promise<number>;
  health(): Promise<TransportHealth>;
  close(): Promise<void>;
}

/** Topic matching as RabbitMQ does it: words split by '.', `*` one word, `#` zero or more. */
export function topicMatches(pattern: string, routingKey: string): boolean {
  const p = pattern.split('.');
  const k = routingKey.split('.');
  const match = (i: number, j: number): boolean => {
    if (i === p.length) return j === k.length;
    if (p[i] === '#') {
      for (let n = j; n <= k.length; n++) if (match(i + 1, n)) return true;
      return false;
    }
    if (j === k.length) return false;
    return (p[i] === '*' || p[i] === k[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}

export const DEFAULT_RETRY_DELAYS_MS = [1_000, 5_000, 30_000, 120_000];
export const DEFAULT_MAX_ATTEMPTS = 5;

export function retryDelayFor(spec: QueueSpec, failedAttempt: number): number {
  const delays = spec.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  return delays[Math.min(failedAttempt - 1, delays.length - 1)] ?? 1_000;
}
