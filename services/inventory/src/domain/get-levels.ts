import { findStockOfSkus } from '../data-access/stock-repository.js';
import type { InventoryDeps } from './deps.js';
import { skuNotFound } from './errors.js';
import { levelsBySku, type SkuLevels } from './stock.js';

/** A SKU's stock per location; a SKU with no stock row anywhere → 404 sku_not_found. */
export async function getSkuLevels(deps: InventoryDeps, sku: string): Promise<SkuLevels> {
  const levels = levelsBySku(await findStockOfSkus(deps.db, [sku])).get(sku);
  if (!levels) throw skuNotFound(sku);
  return levels;
}

/** The stock of many SKUs, in the order asked (each once), and the SKUs the inventory keeps no stock for. */
export async function findSkuLevels(deps: InventoryDeps, skus: readonly string[]): Promise<{ found: SkuLevels[]; unknown: string[] }> {
  const asked = [...new Set(skus)];
  const levels = levelsBySku(await findStockOfSkus(deps.db, asked));
  return {
    found: asked.flatMap((s) => levels.get(s) ?? []),
    unknown: asked.filter((s) => !levels.has(s)),
  };
}
