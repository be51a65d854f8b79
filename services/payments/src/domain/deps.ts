import type { MessageRegistry } from '@emporium/messaging';
import type { Logger } from '@emporium/observability';
import type { PaymentsDb } from '../data-access/tables.js';
import type { OperationKind } from './payment.js';
import type { PaymentProvider } from './provider.js';

export type OperationOutcome = 'succeeded' | 'failed' | 'unknown' | 'retry_later' | 'waiting';
/**
 * processed: synced from the provider; known: what it reports is already recorded; in_flight: it
 * reports the success of a call of ours in flight, whose answer records it (neither is read again).
 */
export type WebhookOutcome = 'processed' | 'known' | 'in_flight' | 'duplicate' | 'invalid_signature' | 'ignored' | 'failed';

/** Business counters the use cases move; app.ts backs them with Prometheus metrics. */
export interface PaymentsMetrics {
  operation(kind: OperationKind, outcome: OperationOutcome): void;
  finding(kind: string): void;
  refundSucceeded(): void;
  webhook(outcome: WebhookOutcome): void;
}

export interface PaymentsSettings {
  /** A key first sent longer ago than this is never sent again: its outcome is looked up. */
  keyRetentionMs: number;
  retryDelaysMs: number[];
  actionRecheckMs: number;
  /** How long to wait before looking again at an operation that waits for another one. */
  waitMs: number;
}

/**
 * What a command handler needs: it runs in the inbox transaction it is given, so it needs no
 * pool, provider or logger — only the message schemas, ids and the clock.
 */
export interface CommandDeps {
  /** Schemas of the messages payments publishes and consumes (appendToOutbox validates against them). */
  messages: MessageRegistry;
  now(): Date;
  newId(): string;
}

/** What every use case receives: passed in from the composition root, nothing global. */
export interface PaymentsDeps extends CommandDeps {
  db: PaymentsDb;
  provider: PaymentProvider;
  metrics: PaymentsMetrics;
  logger: Logger;
  settings: PaymentsSettings;
}
