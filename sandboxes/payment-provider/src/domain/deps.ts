import type { ProviderStore } from '../data-access/memory-store.js';
import type { Ledger } from './ledger.js';
import type { IntentEventType, PaymentIntentView } from './payment-intent.js';
import type { RefundView } from './refund.js';

export type EventType = IntentEventType | 'refund.created';

/** A webhook event (API.md, "Webhooks"): the object as it was when the event happened. */
export interface ProviderEvent {
  id: string;
  type: EventType;
  /** Unix seconds. */
  created: number;
  data: { object: PaymentIntentView | RefundView };
}

/** Where events go (the webhook dispatcher); publishing never blocks the operation. */
export interface EventSink {
  publish(event: ProviderEvent): void;
}

/** Business counters; app.ts backs them with Prometheus counters (labels are kinds, never ids). */
export interface ProviderMetrics {
  moneyMoved(kind: string, amount: number): void;
}

/** What every use case receives from the composition root: nothing global. */
export interface ProviderDeps {
  store: ProviderStore;
  ledger: Ledger;
  events: EventSink;
  metrics: ProviderMetrics;
  now(): Date;
  /** A new id with the kind's prefix, e.g. newId('pi') → 'pi_…'. */
  newId(prefix: string): string;
}

export const unixSeconds = (date: Date) => Math.floor(date.getTime() / 1000);
