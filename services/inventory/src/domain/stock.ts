import type { StockLevelRecord } from '../data-access/tables.js';

export type LocationLevel = StockLevelRecord;

/** A SKU's stock: totals over its locations, and each location (by name). */
export interface SkuLevels {
  sku: string;
  onHand: number;
  reserved: number;
  available: number;
  locations: LocationLevel[];
}

/** Groups rows (sorted by SKU then location) into one summary per SKU. */
export function levelsBySku(rows: readonly StockLevelRecord[]): Map<string, SkuLevels> {
  const result = new Map<string, SkuLevels>();
  for (const row of rows) {
    const s = result.get(row.sku) ?? { sku: row.sku, onHand: 0, reserved: 0, available: 0, locations: [] };
    s.onHand += row.onHand;
    s.reserved += row.reserved;
    s.available += row.onHand - row.reserved;
    s.locations.push(row);
    result.set(row.sku, s);
  }
  return result;
}
