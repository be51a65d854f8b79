import { type Kysely, sql } from '@emporium/db';

/**
 * The audit trail of admin actions (RELIABILITY.md I13), each written in the transaction of the
 * action itself: who asked (`sub` of the verified access token) and with which token (`jti`).
 *
 * - every replay of a parked delivery is a row of `delivery_replays` (a delivery may be replayed
 *   more than once);
 * - a partner endpoint keeps who registered it and who removed it (null for the endpoints of
 *   NOTIFICATIONS_PARTNER_ENDPOINTS, and for those registered before this migration).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE delivery_replays (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      delivery_id uuid NOT NULL REFERENCES deliveries (id),
      requested_by text NOT NULL,
      requested_token_id text,
      requested_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX delivery_replays_delivery ON delivery_replays (delivery_id, id)`.execute(db);
  await sql`ALTER TABLE partner_endpoints ADD COLUMN created_by text, ADD COLUMN removed_by text`.execute(db);
}
