import { sql } from '@emporium/db';
import type { NotificationsDb } from './db.js';
import type { Channel, DeliveryStatus, NotificationKind } from './tables.js';

export interface NewDelivery {
  id: string;
  notificationId: string;
  channel: Channel;
  endpointId: string | null;
  customerId: string;
  recipient: string | null;
  status: Extract<DeliveryStatus, 'awaiting_address' | 'pending' | 'delivered'>;
}

/** Inserts deliveries; one that exists for (notification, channel, endpoint) is left as it is. */
export async function insertDeliveries(db: NotificationsDb, deliveries: NewDelivery[]): Promise<void> {
  if (deliveries.length === 0) return;
  await db
    .insertInto('deliveries')
    .values(
      deliveries.map((d) => ({
        id: d.id,
        notification_id: d.notificationId,
        channel: d.channel,
        endpoint_id: d.endpointId,
        customer_id: d.customerId,
        recipient: d.recipient,
        status: d.status,
        lease_token: null,
        last_error: null,
        delivered_at: d.status === 'delivered' ? sql<Date>`now()` : null,
        parked_at: null,
        read_at: null,
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** The order's e-mails that waited for an address become due, to that address. */
export async function releaseEmailsAwaitingAddress(db: NotificationsDb, orderId: string, email: string): Promise<number> {
  const result = await sql`
    UPDATE deliveries d SET recipient = ${email}, status = 'pending', next_attempt_at = now(), updated_at = now()
    FROM notifications n
    WHERE n.id = d.notification_id AND n.order_id = ${orderId} AND d.status = 'awaiting_address'`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** A delivery a worker took: what it needs to send it. */
export interface ClaimedDelivery {
  id: string;
  channel: Exclude<Channel, 'feed'>;
  /** Attempts so far, this one included. */
  attempts: number;
  leaseToken: string;
  recipient: string | null;
  emailSubject: string;
  emailText: string;
  webhookBody: string;
  endpoint: { id: string; partner: string; url: string; secret: string } | null;
}

/**
 * Takes up to `limit` due deliveries for one worker: FOR UPDATE SKIP LOCKED, so replicas never
 * take the same row, and a lease instead of a held transaction — the row's due time moves to the
 * end of the lease and its token is the worker's. A worker that dies leaves the row to be taken
 * again when the lease ends (same id: the receiver deduplicates). The attempt is counted here,
 * before anything is sent.
 */
export async function claimDueDeliveries(
  db: NotificationsDb,
  o: { limit: number; leaseMs: number; leaseToken: string },
): Promise<ClaimedDelivery[]> {
  const rows = await sql<{
    id: string;
    channel: 'email' | 'webhook';
    attempts: number;
    recipient: string | null;
    email_subject: string;
    email_text: string;
    webhook_body: string;
    endpoint_id: string | null;
    partner: string | null;
    url: string | null;
    secret: string | null;
  }>`
    WITH due AS (
      SELECT id FROM deliveries
      WHERE status = 'pending' AND next_attempt_at <= now()
      ORDER BY next_attempt_at
      LIMIT ${o.limit}
      FOR UPDATE SKIP LOCKED
    ), claimed AS (
      UPDATE deliveries d
      SET attempts = d.attempts + 1, lease_token = ${o.leaseToken}::uuid,
          next_attempt_at = now() + ${o.leaseMs} * interval '1 millisecond', updated_at = now()
      FROM due WHERE d.id = due.id
      RETURNING d.id, d.notification_id, d.channel, d.endpoint_id, d.recipient, d.attempts
    )
    SELECT c.id, c.channel, c.attempts, c.recipient, n.email_subject, n.email_text, n.webhook_body,
           c.endpoint_id, e.partner, e.url, e.secret
    FROM claimed c
    JOIN notifications n ON n.id = c.notification_id
    LEFT JOIN partner_endpoints e ON e.id = c.endpoint_id`.execute(db);
  return rows.rows.map((r) => ({
    id: r.id,
    channel: r.channel,
    attempts: r.attempts,
    leaseToken: o.leaseToken,
    recipient: r.recipient,
    emailSubject: r.email_subject,
    emailText: r.email_text,
    webhookBody: r.webhook_body,
    endpoint:
      r.endpoint_id && r.partner && r.url && r.secret ? { id: r.endpoint_id, partner: r.partner, url: r.url, secret: r.secret } : null,
  }));
}

/** Outcome writes apply only while the worker still holds the lease; false when it lost it. */
export async function markDelivered(db: NotificationsDb, id: string, leaseToken: string): Promise<boolean> {
  const r = await sql`
    UPDATE deliveries SET status = 'delivered', delivered_at = now(), lease_token = NULL, last_error = NULL, updated_at = now()
    WHERE id = ${id} AND lease_token = ${leaseToken}::uuid AND status = 'pending'`.execute(db);
  return Number(r.numAffectedRows ?? 0) === 1;
}

export async function scheduleRetry(db: NotificationsDb, id: string, leaseToken: string, delayMs: number, error: string): Promise<boolean> {
  const r = await sql`
    UPDATE deliveries SET next_attempt_at = now() + ${delayMs} * interval '1 millisecond', lease_token = NULL,
      last_error = ${error}, updated_at = now()
    WHERE id = ${id} AND lease_token = ${leaseToken}::uuid AND status = 'pending'`.execute(db);
  return Number(r.numAffectedRows ?? 0) === 1;
}

export async function markParked(db: NotificationsDb, id: string, leaseToken: string, error: string): Promise<boolean> {
  const r = await sql`
    UPDATE deliveries SET status = 'parked', parked_at = now(), lease_token = NULL, last_error = ${error}, updated_at = now()
    WHERE id = ${id} AND lease_token = ${leaseToken}::uuid AND status = 'pending'`.execute(db);
  return Number(r.numAffectedRows ?? 0) === 1;
}

/** Pending deliveries to a removed endpoint are cancelled (the partner is gone). */
export async function cancelPendingForEndpoint(db: NotificationsDb, endpointId: string): Promise<number> {
  const r = await sql`
    UPDATE deliveries SET status = 'cancelled', lease_token = NULL, last_error = 'endpoint removed', updated_at = now()
    WHERE endpoint_id = ${endpointId} AND status = 'pending'`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

/** Deliveries not yet delivered nor given up, per channel (the pending gauge). */
export async function countOutstanding(db: NotificationsDb): Promise<Record<'email' | 'webhook', number>> {
  const rows = await sql<{ channel: 'email' | 'webhook'; n: number }>`
    SELECT channel, count(*)::int AS n FROM deliveries WHERE status IN ('pending', 'awaiting_address') GROUP BY channel`.execute(db);
  const out = { email: 0, webhook: 0 };
  for (const r of rows.rows) out[r.channel] = r.n;
  return out;
}

// ---- the customer's feed

export interface FeedEntryRecord {
  id: string;
  /** Whose feed it is in (what the policy decides on; not shown). */
  customerId: string;
  kind: NotificationKind;
  orderId: string;
  title: string;
  body: string;
  createdAt: Date;
  readAt: Date | null;
  /** created_at with microseconds, for the keyset. */
  position: string;
}

const FEED_COLUMNS = sql`
  d.id, d.customer_id, n.kind, n.order_id, n.feed_title, n.feed_body, d.created_at, d.read_at,
  to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position`;

interface FeedRow {
  id: string;
  customer_id: string;
  kind: NotificationKind;
  order_id: string;
  feed_title: string;
  feed_body: string;
  created_at: Date;
  read_at: Date | null;
  position: string;
}

const toFeedEntry = (r: FeedRow): FeedEntryRecord => ({
  id: r.id,
  customerId: r.customer_id,
  kind: r.kind,
  orderId: r.order_id,
  title: r.feed_title,
  body: r.feed_body,
  createdAt: r.created_at,
  readAt: r.read_at,
  position: r.position,
});

/** One page of a customer's feed, newest first, strictly after the keyset position when given. */
export async function findFeedPage(
  db: NotificationsDb,
  q: { customerId: string; limit: number; after: { position: string; id: string } | undefined },
): Promise<FeedEntryRecord[]> {
  const after = q.after ? sql`AND (d.created_at, d.id) < (${q.after.position}::timestamptz, ${q.after.id}::uuid)` : sql``;
  const rows = await sql<FeedRow>`
    SELECT ${FEED_COLUMNS}
    FROM deliveries d JOIN notifications n ON n.id = d.notification_id
    WHERE d.channel = 'feed' AND d.customer_id = ${q.customerId} ${after}
    ORDER BY d.created_at DESC, d.id DESC
    LIMIT ${q.limit}`.execute(db);
  return rows.rows.map(toFeedEntry);
}

/** A feed entry by id, whoever's feed it is in (the caller asks the policy whether it may see it). */
export async function findFeedEntry(db: NotificationsDb, id: string): Promise<FeedEntryRecord | undefined> {
  const rows = await sql<FeedRow>`
    SELECT ${FEED_COLUMNS}
    FROM deliveries d JOIN notifications n ON n.id = d.notification_id
    WHERE d.id = ${id} AND d.channel = 'feed'`.execute(db);
  const row = rows.rows[0];
  return row && toFeedEntry(row);
}

/** Marks a feed entry of this customer read (the first reading time stays); undefined if it is not theirs. */
export async function markFeedEntryRead(db: NotificationsDb, customerId: string, id: string): Promise<FeedEntryRecord | undefined> {
  const rows = await sql<FeedRow>`
    WITH marked AS (
      UPDATE deliveries SET read_at = coalesce(read_at, now()), updated_at = now()
      WHERE id = ${id} AND channel = 'feed' AND customer_id = ${customerId}
      RETURNING id, customer_id, notification_id, created_at, read_at
    )
    SELECT ${FEED_COLUMNS} FROM marked d JOIN notifications n ON n.id = d.notification_id`.execute(db);
  const row = rows.rows[0];
  return row && toFeedEntry(row);
}

// ---- operators' view

export interface DeliveryView {
  id: string;
  notificationId: string;
  orderId: string;
  kind: NotificationKind;
  channel: Channel;
  endpointId: string | null;
  partner: string | null;
  recipient: string | null;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  lastError: string | null;
  deliveredAt: Date | null;
  parkedAt: Date | null;
  createdAt: Date;
  /** Every replay of the delivery by an admin, oldest first (the audit trail). */
  replays: DeliveryReplay[];
}

export interface DeliveryReplay {
  requestedBy: string;
  requestedAt: Date;
}

export async function findDeliveries(
  db: NotificationsDb,
  q: {
    orderId?: string | undefined;
    status?: DeliveryStatus | undefined;
    channel?: Channel | undefined;
    id?: string | undefined;
    limit: number;
  },
): Promise<DeliveryView[]> {
  let query = db
    .selectFrom('deliveries as d')
    .innerJoin('notifications as n', 'n.id', 'd.notification_id')
    .leftJoin('partner_endpoints as e', 'e.id', 'd.endpoint_id')
    .select([
      'd.id',
      'd.notification_id',
      'n.order_id',
      'n.kind',
      'd.channel',
      'd.endpoint_id',
      'e.partner',
      'd.recipient',
      'd.status',
      'd.attempts',
      'd.next_attempt_at',
      'd.last_error',
      'd.delivered_at',
      'd.parked_at',
      'd.created_at',
      sql<{ requested_by: string; requested_at: string }[]>`coalesce((
        SELECT json_agg(json_build_object('requested_by', r.requested_by, 'requested_at', r.requested_at) ORDER BY r.id)
        FROM delivery_replays r WHERE r.delivery_id = d.id), '[]'::json)`.as('replays'),
    ]);
  if (q.id) query = query.where('d.id', '=', q.id);
  if (q.orderId) query = query.where('n.order_id', '=', q.orderId);
  if (q.status) query = query.where('d.status', '=', q.status);
  if (q.channel) query = query.where('d.channel', '=', q.channel);
  const rows = await query.orderBy('d.created_at', 'desc').orderBy('d.id', 'desc').limit(q.limit).execute();
  return rows.map((r) => ({
    id: r.id,
    notificationId: r.notification_id,
    orderId: r.order_id,
    kind: r.kind,
    channel: r.channel,
    endpointId: r.endpoint_id,
    partner: r.partner,
    recipient: r.recipient,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
    lastError: r.last_error,
    deliveredAt: r.delivered_at,
    parkedAt: r.parked_at,
    createdAt: r.created_at,
    replays: r.replays.map((x) => ({ requestedBy: x.requested_by, requestedAt: new Date(x.requested_at) })),
  }));
}

/** A parked delivery goes back to the queue (same id), with a fresh retry schedule; false if it is not parked. */
export async function requeueParked(db: NotificationsDb, id: string): Promise<boolean> {
  const r = await sql`
    UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(), parked_at = NULL, updated_at = now()
    WHERE id = ${id} AND status = 'parked'`.execute(db);
  return Number(r.numAffectedRows ?? 0) === 1;
}

/** The audit row of a replay, written in the replay's transaction. */
export async function insertDeliveryReplay(
  db: NotificationsDb,
  deliveryId: string,
  by: { subject: string; tokenId: string | null },
): Promise<void> {
  await db
    .insertInto('delivery_replays')
    .values({ delivery_id: deliveryId, requested_by: by.subject, requested_token_id: by.tokenId })
    .execute();
}
