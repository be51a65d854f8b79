import type { ColumnType, Generated } from '@emporium/db';
import type { InboxTable, OutboxTable } from '@emporium/messaging';

/** The notifications database, as Kysely sees it. */
export interface NotificationsDatabase {
  partner_endpoints: PartnerEndpointsTable;
  order_contacts: OrderContactsTable;
  notifications: NotificationsTable;
  deliveries: DeliveriesTable;
  delivery_replays: DeliveryReplaysTable;
  outbox: OutboxTable;
  inbox: InboxTable;
}

export type NotificationKind = 'order_confirmed' | 'order_cancelled' | 'payment_refunded';
export type Channel = 'email' | 'webhook' | 'feed';
export type DeliveryStatus = 'awaiting_address' | 'pending' | 'delivered' | 'parked' | 'cancelled';

export interface PartnerEndpointsTable {
  id: string;
  partner: string;
  url: string;
  secret: string;
  source: 'api' | 'config';
  created_at: Generated<Date>;
  removed_at: Date | null;
  /** `sub` of the admin who registered / removed it (0002); null for configured endpoints. */
  created_by: Generated<string | null>;
  removed_by: Generated<string | null>;
}

export interface OrderContactsTable {
  order_id: string;
  customer_id: string;
  email: string;
  updated_at: Generated<Date>;
}

export interface NotificationsTable {
  id: string;
  order_id: string;
  kind: NotificationKind;
  ref: string;
  customer_id: string;
  occurred_at: Date;
  email_subject: string;
  email_text: string;
  feed_title: string;
  feed_body: string;
  webhook_body: string;
  source_message_id: string;
  created_at: Generated<Date>;
}

export interface DeliveriesTable {
  id: string;
  notification_id: string;
  channel: Channel;
  endpoint_id: string | null;
  customer_id: string;
  recipient: string | null;
  status: DeliveryStatus;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  lease_token: string | null;
  last_error: string | null;
  delivered_at: Date | null;
  parked_at: Date | null;
  read_at: Date | null;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/** One replay of a parked delivery by an admin (the audit trail, 0002). */
export interface DeliveryReplaysTable {
  id: ColumnType<number, never, never>;
  delivery_id: string;
  requested_by: string;
  requested_token_id: string | null;
  requested_at: Generated<Date>;
}
