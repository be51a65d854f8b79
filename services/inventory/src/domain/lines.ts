import type { AllocationRecord, LineRecord, ShortageRecord, StockLevelRecord } from '../data-access/tables.js';

export type Line = LineRecord;
export type Shortage = ShortageRecord;
export type Allocation = AllocationRecord;

/** Units asked per SKU, the same SKU on several lines added up, in SKU order (the lock order). */
export function demandOf(lines: readonly Line[]): Map<string, number> {
  const demand = new Map<string, number>();
  for (const l of lines) demand.set(l.sku, (demand.get(l.sku) ?? 0) + l.quantity);
  return new Map([...demand].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export type AllocationResult =
  | { ok: true; allocations: Allocation[] }
  | { ok: false; reason: 'out_of_stock' | 'unknown_sku'; shortages: Shortage[] };

/**
 * All or nothing: every SKU of the demand is taken from its locations in location order (a fixed,
 * deterministic order), or nothing is, and the answer lists each SKU that falls short with what
 * was available. A SKU with no stock row anywhere is unknown to the inventory (`unknown_sku` wins
 * over `out_of_stock` when both occur). `stock` must hold every location of the SKUs, locked.
 */
export function allocate(demand: ReadonlyMap<string, number>, stock: readonly StockLevelRecord[]): AllocationResult {
  const allocations: Allocation[] = [];
  const shortages: Shortage[] = [];
  let unknown = false;
  for (const [sku, requested] of demand) {
    const rows = stock.filter((s) => s.sku === sku).sort((a, b) => (a.location < b.location ? -1 : a.location > b.location ? 1 : 0));
    if (rows.length === 0) unknown = true;
    const available = rows.reduce((sum, r) => sum + (r.onHand - r.reserved), 0);
    if (available < requested) {
      shortages.push({ sku, requested, available });
      continue;
    }
    let remaining = requested;
    for (const r of rows) {
      const take = Math.min(remaining, r.onHand - r.reserved);
      if (take > 0) allocations.push({ sku, location: r.location, quantity: take });
      remaining -= take;
      if (remaining === 0) break;
    }
  }
  if (shortages.length > 0) return { ok: false, reason: unknown ? 'unknown_sku' : 'out_of_stock', shortages };
  return { ok: true, allocations };
}

/** Units available per SKU (on hand − reserved over every location) in these rows. */
export function availabilityOf(stock: readonly StockLevelRecord[]): Map<string, number> {
  const result = new Map<string, number>();
  for (const s of stock) result.set(s.sku, (result.get(s.sku) ?? 0) + s.onHand - s.reserved);
  return result;
}
