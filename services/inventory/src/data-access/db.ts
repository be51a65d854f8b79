import type { Kysely, Transaction } from '@emporium/db';
import type { InventoryDatabase } from './tables.js';

/** The inventory database or a transaction on it: every repository function takes one first. */
export type InventoryDb = Kysely<InventoryDatabase>;

/** A transaction on the inventory database: the use cases that change stock run in one. */
export type InventoryTrx = Transaction<InventoryDatabase>;

/** The CHECK that refuses a row with more reserved than on hand, or less than zero of either. */
export function isStockCheckViolation(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string } | undefined;
  return e?.code === '23514' && typeof e.constraint === 'string' && e.constraint.startsWith('stock_levels_');
}
