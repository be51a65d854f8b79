import { type Selectable, sql } from '@emporium/db';
import type { NotificationsDb } from './db.js';
import type { PartnerEndpointsTable } from './tables.js';

export interface EndpointRecord {
  id: string;
  partner: string;
  url: string;
  source: 'api' | 'config';
  createdAt: Date;
  /** `sub` of the admin who registered it; null for a configured endpoint. */
  createdBy: string | null;
}

const COLUMNS = ['id', 'partner', 'url', 'source', 'created_at', 'created_by'] as const;

const toRecord = (r: Pick<Selectable<PartnerEndpointsTable>, (typeof COLUMNS)[number]>): EndpointRecord => ({
  id: r.id,
  partner: r.partner,
  url: r.url,
  source: r.source,
  createdAt: r.created_at,
  createdBy: r.created_by,
});

/** Inserts an endpoint; false when the partner already has this URL (partner_endpoints_active_key). */
export async function insertEndpoint(
  db: NotificationsDb,
  e: { id: string; partner: string; url: string; secret: string; source: 'api' | 'config'; createdBy: string | null },
): Promise<EndpointRecord | undefined> {
  const { createdBy, ...columns } = e;
  const row = await db
    .insertInto('partner_endpoints')
    .values({ ...columns, created_by: createdBy, removed_at: null })
    .onConflict((oc) => oc.columns(['partner', 'url']).where('removed_at', 'is', null).doNothing())
    .returning(COLUMNS)
    .executeTakeFirst();
  return row && toRecord(row);
}

/** Active endpoints, oldest first (never their secrets). */
export async function listActiveEndpoints(db: NotificationsDb): Promise<EndpointRecord[]> {
  const rows = await db
    .selectFrom('partner_endpoints')
    .select(COLUMNS)
    .where('removed_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toRecord);
}

/**
 * Ids of the endpoints a new notification goes to, share-locked until the transaction ends: a
 * removal (lockEndpointForUpdate) waits for the notifications being recorded, and those that
 * come after it no longer see the endpoint.
 */
export async function activeEndpointIds(db: NotificationsDb): Promise<string[]> {
  const rows = await db.selectFrom('partner_endpoints').select('id').where('removed_at', 'is', null).orderBy('id').forShare().execute();
  return rows.map((r) => r.id);
}

export async function lockEndpointForUpdate(
  db: NotificationsDb,
  id: string,
): Promise<(EndpointRecord & { removedAt: Date | null }) | undefined> {
  const row = await db
    .selectFrom('partner_endpoints')
    .select([...COLUMNS, 'removed_at'])
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  return row && { ...toRecord(row), removedAt: row.removed_at };
}

/** Marks the endpoint removed, by whom (the audit trail). */
export async function markEndpointRemoved(db: NotificationsDb, id: string, removedBy: string): Promise<void> {
  await db
    .updateTable('partner_endpoints')
    .set({ removed_at: sql<Date>`now()`, removed_by: removedBy })
    .where('id', '=', id)
    .where('removed_at', 'is', null)
    .execute();
}

/**
 * Makes the configured endpoints active with their secrets, and removes configured endpoints no
 * longer in the configuration. Safe with several replicas starting at once (keyed by stable ids).
 */
export async function syncConfiguredEndpoints(
  db: NotificationsDb,
  endpoints: { id: string; partner: string; url: string; secret: string }[],
): Promise<void> {
  for (const e of endpoints) {
    // An endpoint registered over the API with the same partner and URL stays as it is.
    await sql`
      INSERT INTO partner_endpoints (id, partner, url, secret, source)
      VALUES (${e.id}, ${e.partner}, ${e.url}, ${e.secret}, 'config')
      ON CONFLICT DO NOTHING`.execute(db);
    await sql`
      UPDATE partner_endpoints p SET secret = ${e.secret}, removed_at = NULL, removed_by = NULL
      WHERE p.id = ${e.id} AND NOT EXISTS (
        SELECT 1 FROM partner_endpoints o
        WHERE o.partner = p.partner AND o.url = p.url AND o.removed_at IS NULL AND o.id <> p.id)`.execute(db);
  }
  const keep = endpoints.map((e) => e.id);
  let stale = db
    .updateTable('partner_endpoints')
    .set({ removed_at: sql<Date>`now()` })
    .where('source', '=', 'config')
    .where('removed_at', 'is', null);
  if (keep.length) stale = stale.where('id', 'not in', keep);
  await stale.execute();
}
