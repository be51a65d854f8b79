import type { CatalogSku } from './deps.js';
import { mixedCurrencies, skuNotPurchasable, totalTooLarge, unknownSku } from './errors.js';
import type { Money } from './money.js';
import type { OrderLine } from './order-data.js';

/**
 * Prices the requested lines with the catalog's answer: the price is the catalog's, never the
 * client's. Every SKU must exist and be orderable, and all in one currency.
 */
export function priceLines(
  requested: { sku: string; quantity: number }[],
  catalog: { items: CatalogSku[]; unknown: string[] },
): { lines: OrderLine[]; total: Money } {
  const bySku = new Map(catalog.items.map((i) => [i.sku, i]));
  const unknown = requested.filter((l) => !bySku.has(l.sku)).map((l) => l.sku);
  if (unknown.length) throw unknownSku(unknown);
  const lines: OrderLine[] = requested.map((l) => {
    const found = bySku.get(l.sku) as CatalogSku;
    return {
      sku: l.sku,
      name: found.name,
      quantity: l.quantity,
      unitPrice: { amount: found.price.amount, currency: found.price.currency },
    };
  });
  const blocked = requested.filter((l) => !bySku.get(l.sku)?.purchasable).map((l) => l.sku);
  if (blocked.length) throw skuNotPurchasable(blocked);
  const currencies = [...new Set(lines.map((l) => l.unitPrice.currency))];
  if (currencies.length > 1) throw mixedCurrencies(currencies);
  const amount = lines.reduce((sum, l) => sum + l.unitPrice.amount * l.quantity, 0);
  if (!Number.isSafeInteger(amount)) throw totalTooLarge();
  return { lines, total: { amount, currency: currencies[0] as string } };
}
