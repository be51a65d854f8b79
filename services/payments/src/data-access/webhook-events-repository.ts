import { type Selectable, sql } from '@emporium/db';
import type { OperationKind, OperationStatus, Payment } from '../domain/payment.js';
import { paymentOf } from './payments-repository.js';
import type { PaymentsDb, PaymentsTable } from './tables.js';

export interface WebhookArrival {
  /** The event id was recorded before: a copy. */
  seen: boolean;
  /** The payment the intent belongs to: the one that holds it, or the one named by its metadata that holds none yet. */
  payment: Payment | undefined;
  /** That payment's own operations whose call may be in flight now (claimed, lease running). */
  inFlight: { id: string; kind: OperationKind }[];
}

/**
 * What a webhook meets on arrival, in one statement: whether its event id was recorded before,
 * the payment of the intent it is about, and that payment's operations in flight. Plain reads: a
 * hint is judged against them; any change is made under the payment's lock, or by a conditional
 * update.
 */
export async function readWebhookArrival(
  db: PaymentsDb,
  eventId: string,
  intent: { id: string; paymentId: string | null; orderId: string | null } | undefined,
): Promise<WebhookArrival> {
  const { rows } = await sql<
    { seen: boolean; in_flight: { id: string; kind: OperationKind }[] | null } & Partial<Selectable<PaymentsTable>>
  >`
    SELECT EXISTS (SELECT 1 FROM webhook_events WHERE event_id = ${eventId}) AS seen, p.*,
      (SELECT jsonb_agg(jsonb_build_object('id', o.id, 'kind', o.kind)) FROM payment_operations o
        WHERE o.payment_id = p.id AND o.status = 'pending' AND o.origin <> 'reconciliation' AND o.lease_until > now()) AS in_flight
    FROM (VALUES (1)) AS arrival (one)
    LEFT JOIN LATERAL (
      SELECT * FROM payments WHERE intent_id = ${intent?.id ?? null}
      UNION ALL
      SELECT * FROM payments
      WHERE id = ${intent?.paymentId ?? null}::uuid AND intent_id IS NULL AND order_id = ${intent?.orderId ?? null}::uuid
      LIMIT 1
    ) p ON true`.execute(db);
  const row = rows[0]!;
  return {
    seen: row.seen,
    payment: row.id ? paymentOf(row as Selectable<PaymentsTable>) : undefined,
    inFlight: row.in_flight ?? [],
  };
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

/**
 * Hands a webhook to the operation whose answer will report what it reports, in one statement, on
 * the operation as it is now (waiting for the worker's transaction that holds it, if any):
 *  - pending, call in flight: marked `hinted_at` (the worker looks again at once if the answer
 *    leaves it pending);
 *  - pending, no call in flight (the answer left it pending): due now (its trigger wakes a worker);
 *  - ended: nothing changes.
 * The event is recorded unless the operation failed (then it is read again from the provider).
 * It is an UPDATE even of an ended row on purpose: only a write (or a lock) reads the row as the
 * committed answer left it, where a plain read would see the statement's older snapshot.
 */
export async function hintOperation(
  db: PaymentsDb,
  operationId: string,
  event: { id: string; type: string; objectId: string | null },
): Promise<{ status: OperationStatus; recorded: boolean } | undefined> {
  const { rows } = await sql<{ status: OperationStatus; recorded: number }>`
    WITH hinted AS (
      UPDATE payment_operations
      SET hinted_at = CASE WHEN status = 'pending' AND lease_until > now() THEN now() ELSE hinted_at END,
        next_attempt_at = CASE
          WHEN status = 'pending' AND NOT coalesce(lease_until > now(), false) THEN least(next_attempt_at, now())
          ELSE next_attempt_at END
      WHERE id = ${operationId}
      RETURNING status
    ), recorded AS (
      INSERT INTO webhook_events (event_id, type, object_id)
      SELECT ${event.id}, ${event.type}, ${event.objectId} FROM hinted WHERE hinted.status <> 'failed'
      ON CONFLICT (event_id) DO NOTHING
      RETURNING event_id
    )
    SELECT hinted.status, (SELECT count(*) FROM recorded)::int AS recorded FROM hinted`.execute(db);
  const row = rows[0];
  return row && { status: row.status, recorded: row.recorded > 0 };
}
