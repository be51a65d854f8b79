import { appendToOutbox } from '@emporium/messaging';
import type { InventoryTrx } from '../data-access/db.js';
import { appendMovements } from '../data-access/movements-repository.js';
import { addToStockLevels } from '../data-access/stock-repository.js';
import type { MovementKind, StockLevelRecord } from '../data-access/tables.js';
import type { InventoryDeps } from './deps.js';
import { stockSignals } from './events.js';
import { availabilityOf } from './lines.js';

/** One change of one (sku, location) row, with the journal entry that explains it. */
export interface StockChange {
  sku: string;
  location: string;
  onHand: number;
  reserved: number;
  kind: MovementKind;
  orderId?: string;
  reference?: string;
  reason?: string;
}

/**
 * Applies changes to stock rows the caller has locked (every location of every SKU concerned),
 * journals each one, and announces the SKUs whose availability crosses zero — all in the
 * caller's transaction. The CHECKs on stock_levels refuse any change that would oversell, so a
 * wrong change here fails the whole transaction instead of selling units that do not exist.
 * Returns the rows as they now are and how many SKUs ran out.
 */
export async function applyStockChanges(
  deps: InventoryDeps,
  trx: InventoryTrx,
  locked: readonly StockLevelRecord[],
  changes: readonly StockChange[],
  now: Date,
): Promise<{ after: StockLevelRecord[]; stockouts: number }> {
  const after = locked.map((row) => {
    const mine = changes.filter((c) => c.sku === row.sku && c.location === row.location);
    return {
      ...row,
      onHand: row.onHand + mine.reduce((n, c) => n + c.onHand, 0),
      reserved: row.reserved + mine.reduce((n, c) => n + c.reserved, 0),
    };
  });
  await addToStockLevels(trx, changes, now);
  await appendMovements(
    trx,
    changes.map((c) => ({ ...c, onHandDelta: c.onHand, reservedDelta: c.reserved })),
    now,
  );
  const signals = stockSignals(availabilityOf(locked), availabilityOf(after), now);
  await appendToOutbox(trx, deps.messages, signals.envelopes);
  return { after, stockouts: signals.stockouts };
}
