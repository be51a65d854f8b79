import type { Envelope } from '@emporium/messaging';
import type { InventoryTrx } from '../data-access/db.js';
import { applyMovements } from '../data-access/stock-repository.js';
import type { MovementKind, StockLevelRecord } from '../data-access/tables.js';
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
 * Applies changes to stock rows the caller has locked (`locked`: every location of every SKU
 * concerned, as they are now) and journals each one, in one statement of the caller's
 * transaction. The CHECKs on stock_levels refuse any change that would oversell, so a wrong change
 * here fails the whole transaction instead of selling units that do not exist. Returns the rows as
 * they now are, and the SKU events of the SKUs whose availability crossed zero: the caller
 * appends them to the outbox with its own messages (one INSERT).
 */
export async function applyStockChanges(
  trx: InventoryTrx,
  locked: readonly StockLevelRecord[],
  changes: readonly StockChange[],
  now: Date,
): Promise<{ after: StockLevelRecord[]; signals: Envelope[]; stockouts: number }> {
  const changed = await applyMovements(
    trx,
    changes.map((c) => ({ ...c, onHandDelta: c.onHand, reservedDelta: c.reserved })),
    now,
  );
  const after = locked.map((row) => changed.find((c) => c.sku === row.sku && c.location === row.location) ?? row);
  const { envelopes, stockouts } = stockSignals(availabilityOf(locked), availabilityOf(after), now);
  return { after, signals: envelopes, stockouts };
}
