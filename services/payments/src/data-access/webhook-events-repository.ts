import type { PaymentsDb } from './tables.js';

export async function webhookEventSeen(db: PaymentsDb, eventId: string): Promise<boolean> {
  const row = await db.selectFrom('webhook_events').select('event_id').where('event_id', '=', eventId).executeTakeFirst();
  return row !== undefined;
}

/** Records the event in the transaction of its effects; false when it was already recorded (a duplicate). */
export async function recordWebhookEvent(trx: PaymentsDb, event: { id: string; type: string; objectId: string | null }): Promise<boolean> {
  const row = await trx
    .insertInto('webhook_events')
    .values({ event_id: event.id, type: event.type, object_id: event.objectId })
    .onConflict((oc) => oc.column('event_id').doNothing())
    .returning('event_id')
    .executeTakeFirst();
  return row !== undefined;
}
