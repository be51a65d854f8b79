import type { MessageRegistry } from '@emporium/messaging';
import type { CatalogDb } from '../data-access/db.js';

/** Business counters the use cases move; app.ts backs them with Prometheus counters. */
export interface CatalogMetrics {
  productsCreated(count: number): void;
  variantsAdded(count: number): void;
  priceChanged(): void;
}

/** What every use case receives: passed in from the composition root, nothing global. */
export interface CatalogDeps {
  db: CatalogDb;
  /** Schemas of the messages the catalog publishes (appendToOutbox validates against them). */
  messages: MessageRegistry;
  metrics: CatalogMetrics;
  now(): Date;
  newId(): string;
}

export const noMetrics: CatalogMetrics = {
  productsCreated: () => {},
  variantsAdded: () => {},
  priceChanged: () => {},
};
