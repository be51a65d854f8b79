import { inTransaction } from '@emporium/db';
import { appendToOutbox } from '@emporium/messaging';
import { findReceipt, insertReceiptIfNew } from '../data-access/receipts-repository.js';
import { ensureStockLevel, findStockOfSkus, lockStockOfSkusForUpdate } from '../data-access/stock-repository.js';
import type { ReceiptRecord } from '../data-access/tables.js';
import type { InventoryDeps } from './deps.js';
import { belowReserved, referenceReused } from './errors.js';
import { applyStockChanges } from './stock-change.js';
import { levelsBySku, type SkuLevels } from './stock.js';

export interface ReceiptInput {
  location: string;
  /** Units that arrived (positive) or left outside any order (negative: damaged, lost, counted short). */
  quantity: number;
  /** The caller's reference (delivery note, count sheet): the receipt's idempotency key within the SKU. */
  reference: string;
  reason?: string | undefined;
}

export type Receipt = ReceiptRecord;

/**
 * Adds (or removes) units of a SKU at a location, journalled as a receipt (positive) or an
 * adjustment (negative) under the caller's reference. The reference is unique per SKU: the same
 * request again changes nothing and answers the receipt recorded first (`replayed`); the same
 * reference with another location, quantity or reason → 422 reference_reused. On hand may not go
 * below what is reserved → 409 below_reserved, and then nothing is recorded.
 */
export async function recordReceipt(
  deps: InventoryDeps,
  sku: string,
  input: ReceiptInput,
): Promise<{ receipt: Receipt; replayed: boolean; levels: SkuLevels }> {
  const result = await inTransaction(deps.db, async (trx) => {
    const now = deps.now();
    const receipt: Receipt = {
      sku,
      reference: input.reference,
      location: input.location,
      quantity: input.quantity,
      reason: input.reason ?? null,
      createdAt: now,
    };
    if (!(await insertReceiptIfNew(trx, receipt))) {
      const first = (await findReceipt(trx, sku, input.reference))!;
      if (first.location !== receipt.location || first.quantity !== receipt.quantity || first.reason !== receipt.reason) {
        throw referenceReused(sku, input.reference);
      }
      return { receipt: first, replayed: true, after: await findStockOfSkus(trx, [sku]), stockouts: 0 };
    }
    // The reference first, then every location of the SKU in (sku, location) order (lock-commands.ts).
    await ensureStockLevel(trx, sku, input.location);
    const stock = await lockStockOfSkusForUpdate(trx, [sku]);
    const row = stock.find((s) => s.location === input.location)!;
    if (row.onHand + input.quantity < row.reserved) throw belowReserved(sku, input.location, row.reserved, row.onHand + input.quantity);
    const change = {
      sku,
      location: input.location,
      onHand: input.quantity,
      reserved: 0,
      kind: input.quantity > 0 ? ('receipt' as const) : ('adjustment' as const),
      reference: input.reference,
      ...(input.reason !== undefined ? { reason: input.reason } : {}),
    };
    const { after, signals, stockouts } = await applyStockChanges(trx, stock, [change], now);
    await appendToOutbox(trx, deps.messages, signals);
    return { receipt, replayed: false, after, stockouts };
  });
  if (result.stockouts) deps.metrics.stockedOut(result.stockouts);
  return { receipt: result.receipt, replayed: result.replayed, levels: levelsBySku(result.after).get(sku)! };
}
