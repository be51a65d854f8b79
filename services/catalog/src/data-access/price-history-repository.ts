import type { CatalogDb } from './db.js';
import type { MoneyRecord } from './tables.js';

/** One row per price a variant ever had; `old` is null for the price it was created with. */
export async function appendPriceHistory(
  trx: CatalogDb,
  entries: { variantId: string; old: MoneyRecord | null; new: MoneyRecord; changedAt: Date }[],
): Promise<void> {
  if (entries.length === 0) return;
  await trx
    .insertInto('price_history')
    .values(
      entries.map((e) => ({
        variant_id: e.variantId,
        old_amount: e.old?.amount ?? null,
        old_currency: e.old?.currency ?? null,
        new_amount: e.new.amount,
        new_currency: e.new.currency,
        changed_at: e.changedAt,
      })),
    )
    .execute();
}
