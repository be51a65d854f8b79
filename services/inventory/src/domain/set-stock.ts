import { inTransaction } from '@emporium/db';
import { appendToOutbox } from '@emporium/messaging';
import { ensureStockLevel, lockStockOfSkusForUpdate } from '../data-access/stock-repository.js';
import type { InventoryDeps } from './deps.js';
import { belowReserved } from './errors.js';
import { applyStockChanges } from './stock-change.js';
import { levelsBySku, type SkuLevels } from './stock.js';

/**
 * Sets the units on hand of a SKU at a location (a stock count), creating the location when it
 * is new. The difference is journalled as an adjustment. On hand may not go below the units
 * reserved there → 409 below_reserved. Setting the current value again changes nothing (PUT).
 * Locks every location of the SKU in (sku, location) order, like every other path (lock-commands.ts).
 */
export async function setStock(deps: InventoryDeps, sku: string, location: string, onHand: number): Promise<SkuLevels> {
  const result = await inTransaction(deps.db, async (trx) => {
    await ensureStockLevel(trx, sku, location);
    const stock = await lockStockOfSkusForUpdate(trx, [sku]);
    const row = stock.find((s) => s.location === location)!;
    if (onHand < row.reserved) throw belowReserved(sku, location, row.reserved, onHand);
    const change = { sku, location, onHand: onHand - row.onHand, reserved: 0, kind: 'adjustment' as const, reason: 'stock set' };
    const { after, signals, stockouts } = await applyStockChanges(trx, stock, [change], deps.now());
    await appendToOutbox(trx, deps.messages, signals);
    return { after, stockouts };
  });
  if (result.stockouts) deps.metrics.stockedOut(result.stockouts);
  return levelsBySku(result.after).get(sku)!;
}
