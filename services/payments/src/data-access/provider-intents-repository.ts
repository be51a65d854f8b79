import { sql } from '@emporium/db';
import type { ProviderIntent } from '../domain/provider.js';
import type { PaymentsDb } from './tables.js';

/** What we last saw of a provider intent (ours or not): the reconciliation's working set. */
export async function upsertProviderIntent(
  trx: PaymentsDb,
  intent: ProviderIntent,
  paymentId: string | null,
  amountRefunded: number | undefined,
): Promise<void> {
  await trx
    .insertInto('provider_intents')
    .values({
      intent_id: intent.id,
      order_id: intent.metadata.order_id ?? null,
      payment_id: paymentId,
      status: intent.status,
      amount: intent.amount,
      currency: intent.currency,
      amount_capturable: intent.amount_capturable,
      amount_received: intent.amount_received,
      amount_refunded: amountRefunded ?? 0,
      repaired_at: null,
    })
    .onConflict((oc) =>
      oc.column('intent_id').doUpdateSet((eb) => ({
        payment_id: eb.fn.coalesce('provider_intents.payment_id', eb.val(paymentId)),
        status: intent.status,
        amount_capturable: intent.amount_capturable,
        amount_received: intent.amount_received,
        ...(amountRefunded !== undefined ? { amount_refunded: amountRefunded } : {}),
        synced_at: sql<Date>`now()`,
      })),
    )
    .execute();
}

/** Intents seen (by webhook or search) that are not ours and not repaired yet. */
export async function listForeignIntents(db: PaymentsDb, limit: number): Promise<{ intentId: string; orderId: string | null }[]> {
  const rows = await db
    .selectFrom('provider_intents')
    .select(['intent_id', 'order_id'])
    .where('payment_id', 'is', null)
    .where('repaired_at', 'is', null)
    .orderBy('synced_at')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ intentId: r.intent_id, orderId: r.order_id }));
}

/** Nothing (more) to do about this intent: repaired, or holding no money. */
export async function markIntentSettled(trx: PaymentsDb, intentId: string): Promise<void> {
  await trx.updateTable('provider_intents').set({ repaired_at: sql<Date>`now()` }).where('intent_id', '=', intentId).execute();
}
