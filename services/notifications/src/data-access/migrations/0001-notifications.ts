import { type Kysely, sql } from '@emporium/db';

/**
 * Notifications and their deliveries. A notification is one thing to tell (an order confirmed or
 * cancelled, a refund); a delivery is telling it over one channel (e-mail, one partner endpoint,
 * the customer's in-app feed). Both have stable ids derived from what they are about (uuid v5),
 * and unique keys, so a message handled twice — or published twice — records nothing new. The
 * delivery id is what the receiver deduplicates on: the e-mail's Message-ID, the `webhook-id`,
 * the feed entry's id.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE partner_endpoints (
      id uuid PRIMARY KEY,
      partner text NOT NULL,
      url text NOT NULL,
      -- Needed in clear to sign (HMAC); never answered after creation, never logged.
      secret text NOT NULL,
      source text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      removed_at timestamptz,
      CONSTRAINT partner_endpoints_partner_check CHECK (partner ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
      CONSTRAINT partner_endpoints_url_check CHECK (url ~ '^https?://' AND length(url) <= 2000),
      CONSTRAINT partner_endpoints_secret_check CHECK (secret ~ '^whsec_[A-Za-z0-9+/]+={0,2}$'),
      CONSTRAINT partner_endpoints_source_check CHECK (source IN ('api', 'config'))
    )`.execute(db);
  await sql`
    CREATE UNIQUE INDEX partner_endpoints_active_key ON partner_endpoints (partner, url) WHERE removed_at IS NULL`.execute(db);

  // Where to write to a customer about an order (the refund event carries no address).
  await sql`
    CREATE TABLE order_contacts (
      order_id uuid PRIMARY KEY,
      customer_id text NOT NULL,
      email text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);

  await sql`
    CREATE TABLE notifications (
      id uuid PRIMARY KEY,
      order_id uuid NOT NULL,
      kind text NOT NULL,
      -- What distinguishes two notifications of one kind for one order: the refund id; '' otherwise.
      ref text NOT NULL DEFAULT '',
      customer_id text NOT NULL,
      occurred_at timestamptz NOT NULL,
      email_subject text NOT NULL,
      email_text text NOT NULL,
      feed_title text NOT NULL,
      feed_body text NOT NULL,
      -- The exact bytes every webhook attempt sends and signs.
      webhook_body text NOT NULL,
      source_message_id uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT notifications_occurrence_key UNIQUE (order_id, kind, ref),
      CONSTRAINT notifications_kind_check CHECK (kind IN ('order_confirmed', 'order_cancelled', 'payment_refunded')),
      CONSTRAINT notifications_ref_check CHECK ((kind = 'payment_refunded') = (ref <> ''))
    )`.execute(db);

  await sql`
    CREATE TABLE deliveries (
      id uuid PRIMARY KEY,
      notification_id uuid NOT NULL REFERENCES notifications (id),
      channel text NOT NULL,
      endpoint_id uuid REFERENCES partner_endpoints (id),
      customer_id text NOT NULL,
      -- The e-mail address (e-mail only); null while the address is not known yet.
      recipient text,
      status text NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      -- Due time while pending; while a worker holds it, the end of its lease.
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      lease_token uuid,
      last_error text,
      delivered_at timestamptz,
      parked_at timestamptz,
      read_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT deliveries_channel_key UNIQUE NULLS NOT DISTINCT (notification_id, channel, endpoint_id),
      CONSTRAINT deliveries_channel_check CHECK (channel IN ('email', 'webhook', 'feed')),
      CONSTRAINT deliveries_status_check CHECK (status IN ('awaiting_address', 'pending', 'delivered', 'parked', 'cancelled')),
      CONSTRAINT deliveries_endpoint_check CHECK ((channel = 'webhook') = (endpoint_id IS NOT NULL)),
      CONSTRAINT deliveries_recipient_check CHECK (
        CASE channel WHEN 'email' THEN (recipient IS NULL) = (status = 'awaiting_address') ELSE recipient IS NULL END),
      CONSTRAINT deliveries_awaiting_check CHECK (status <> 'awaiting_address' OR channel = 'email'),
      CONSTRAINT deliveries_feed_check CHECK (channel <> 'feed' OR status = 'delivered'),
      CONSTRAINT deliveries_delivered_check CHECK ((status = 'delivered') = (delivered_at IS NOT NULL)),
      CONSTRAINT deliveries_read_check CHECK (read_at IS NULL OR channel = 'feed'),
      CONSTRAINT deliveries_attempts_check CHECK (attempts >= 0)
    )`.execute(db);
  // The worker's queue: due pending deliveries, oldest due first.
  await sql`CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending'`.execute(db);
  // A customer's feed, newest first (keyset pagination).
  await sql`CREATE INDEX deliveries_feed ON deliveries (customer_id, created_at DESC, id DESC) WHERE channel = 'feed'`.execute(db);
  await sql`CREATE INDEX deliveries_endpoint ON deliveries (endpoint_id) WHERE endpoint_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX notifications_order ON notifications (order_id)`.execute(db);
}
