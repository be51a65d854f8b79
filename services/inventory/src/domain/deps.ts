import type { MessageRegistry } from '@emporium/messaging';
import type { InventoryDb } from '../data-access/db.js';

export type ReservationOutcome = 'succeeded' | 'out_of_stock' | 'unknown_sku';

/** Business counters the use cases move; app.ts backs them with Prometheus series. */
export interface InventoryMetrics {
  /** A reserve command decided for the first time (a repeated one is not counted). */
  reservationDecided(outcome: ReservationOutcome): void;
  /** SKUs whose available units fell to zero. */
  stockedOut(count: number): void;
  /** Reservations released by the expiry sweep. */
  reservationsExpired(count: number): void;
}

/** What every use case receives: passed in from the composition root, nothing global. */
export interface InventoryDeps {
  db: InventoryDb;
  /** Schemas of the messages the inventory publishes (appendToOutbox validates against them). */
  messages: MessageRegistry;
  metrics: InventoryMetrics;
  now(): Date;
  /** Longest a reservation lives; a command's later expiresAt is shortened to now + this. */
  reservationTtlMs: number;
}

export const noMetrics: InventoryMetrics = {
  reservationDecided: () => {},
  stockedOut: () => {},
  reservationsExpired: () => {},
};
