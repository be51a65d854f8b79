import { sql } from '@emporium/db';
import type { OrdersDb } from './tables.js';

/** An answer kept for replay: status, the headers that matter, and the body byte for byte. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type KeyState =
  | { state: 'claimed'; token: string }
  | { state: 'in_flight' }
  | { state: 'other_request' }
  | { state: 'completed'; response: StoredResponse }
  | { state: 'gone' };

/**
 * Takes the key for this request, in its own short transaction (so that concurrent requests see
 * it at once). A key whose retention ended, or whose holder never finished within the lease (its
 * process died: nothing was stored, since the order and the completed key commit together), is
 * taken over. Otherwise the key's current state is answered.
 */
export async function claimIdempotencyKey(
  db: OrdersDb,
  claim: { customerId: string; key: string; fingerprint: string; token: string; now: Date; expiresAt: Date; takeOverBefore: Date },
): Promise<KeyState> {
  const taken = await sql<{ claim_token: string }>`
    INSERT INTO idempotency_keys AS k (customer_id, key, fingerprint, state, claim_token, claimed_at, created_at, expires_at)
    VALUES (${claim.customerId}, ${claim.key}, ${claim.fingerprint}, 'in_flight', ${claim.token}, ${claim.now}, ${claim.now}, ${claim.expiresAt})
    ON CONFLICT (customer_id, key) DO UPDATE SET
      fingerprint = EXCLUDED.fingerprint, state = 'in_flight', claim_token = EXCLUDED.claim_token,
      claimed_at = EXCLUDED.claimed_at, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at,
      order_id = NULL, response_status = NULL, response_headers = NULL, response_body = NULL
    WHERE k.expires_at <= EXCLUDED.claimed_at OR (k.state = 'in_flight' AND k.claimed_at <= ${claim.takeOverBefore})
    RETURNING claim_token`.execute(db);
  if (taken.rows[0]?.claim_token === claim.token) return { state: 'claimed', token: claim.token };

  const row = await db
    .selectFrom('idempotency_keys')
    .select(['fingerprint', 'state', 'response_status', 'response_headers', 'response_body'])
    .where('customer_id', '=', claim.customerId)
    .where('key', '=', claim.key)
    .executeTakeFirst();
  // Released in between by a request that failed: the caller may try again.
  if (!row) return { state: 'gone' };
  if (row.fingerprint !== claim.fingerprint) return { state: 'other_request' };
  if (row.state === 'in_flight') return { state: 'in_flight' };
  return {
    state: 'completed',
    response: {
      status: row.response_status as number,
      headers: (row.response_headers ?? {}) as Record<string, string>,
      body: row.response_body as string,
    },
  };
}

/**
 * Stores the answer under the key, in the transaction that creates the order. False when this
 * request no longer holds the key (its lease ended and another took it over): the caller must
 * roll back, so that one key never creates two orders (I8).
 */
export async function completeIdempotencyKey(
  trx: OrdersDb,
  done: { customerId: string; key: string; token: string; orderId: string; response: StoredResponse },
): Promise<boolean> {
  const result = await trx
    .updateTable('idempotency_keys')
    .set({
      state: 'completed',
      order_id: done.orderId,
      response_status: done.response.status,
      response_headers: JSON.stringify(done.response.headers),
      response_body: done.response.body,
    })
    .where('customer_id', '=', done.customerId)
    .where('key', '=', done.key)
    .where('claim_token', '=', done.token)
    .where('state', '=', 'in_flight')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Lets go of a key whose request created nothing, so that a retry with it runs afresh. */
export async function releaseIdempotencyKey(db: OrdersDb, held: { customerId: string; key: string; token: string }): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('customer_id', '=', held.customerId)
    .where('key', '=', held.key)
    .where('claim_token', '=', held.token)
    .where('state', '=', 'in_flight')
    .execute();
}

/** Deletes up to `limit` keys whose retention has ended; returns how many. */
export async function purgeExpiredIdempotencyKeys(db: OrdersDb, now: Date, limit: number): Promise<number> {
  const result = await sql`
    DELETE FROM idempotency_keys WHERE (customer_id, key) IN (
      SELECT customer_id, key FROM idempotency_keys WHERE expires_at <= ${now} LIMIT ${limit})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
