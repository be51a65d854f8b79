import type { MessageRegistry } from '@emporium/messaging';
import type { Logger } from '@emporium/observability';
import type { OrderChanges } from '../data-access/order-changes.js';
import type { OrdersDb } from '../data-access/tables.js';
import type { Money } from './money.js';
import type { SagaOutcome } from './order.js';
import type { SagaPolicy } from './order-data.js';
import type { SagaStepId } from './steps/step.js';

/** A SKU as the catalog prices it now. */
export interface CatalogSku {
  sku: string;
  name: string;
  price: Money;
  purchasable: boolean;
}

/** Where prices come from: the catalog, across the network (data-access/catalog-client.ts). */
export interface CatalogPrices {
  /** Throws an UpstreamError (503/504) when the catalog cannot answer. */
  lookUp(skus: string[], requestId?: string): Promise<{ items: CatalogSku[]; unknown: string[] }>;
}

/** Business and saga counters the use cases move; app.ts backs them with Prometheus metrics. */
export interface OrdersMetrics {
  orderCreated(): void;
  idempotentReplay(): void;
  stepCompleted(step: SagaStepId, seconds: number): void;
  compensationSent(step: SagaStepId): void;
  /** The checkout saga reached its terminal state, this long after the order was placed. */
  sagaEnded(outcome: SagaOutcome, seconds: number): void;
}

/** What every use case receives: passed in from the composition root, nothing global. */
export interface OrdersDeps {
  db: OrdersDb;
  /** Schemas of the messages orders publishes (appendToOutbox validates against them). */
  messages: MessageRegistry;
  metrics: OrdersMetrics;
  logger: Logger;
  catalog: CatalogPrices;
  policy: SagaPolicy;
  idempotency: { retentionMs: number; leaseMs: number };
  /** Wakes readers waiting for an order to change (GET with `Prefer: wait`), at most `maxWaitMs` each. */
  changes: OrderChanges & { maxWaitMs: number };
  now(): Date;
  newId(): string;
}
