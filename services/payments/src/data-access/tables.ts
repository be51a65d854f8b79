import type { ColumnType, Generated, Kysely, Transaction } from '@emporium/db';
import type { InboxTable, OutboxTable } from '@emporium/messaging';

/** The payments database, as Kysely sees it. */
export interface PaymentsDatabase {
  payments: PaymentsTable;
  payment_operations: PaymentOperationsTable;
  ledger_entries: LedgerEntriesTable;
  provider_intents: ProviderIntentsTable;
  webhook_events: WebhookEventsTable;
  reconciliation_findings: ReconciliationFindingsTable;
  job_leases: JobLeasesTable;
  outbox: OutboxTable;
  inbox: InboxTable;
}

/** The payments database or a transaction on it: every repository function takes one first. */
export type PaymentsDb = Kysely<PaymentsDatabase>;

/** A transaction on the payments database (what the outbox needs). */
export type PaymentsTrx = Transaction<PaymentsDatabase>;

export type PaymentStatus = 'authorizing' | 'requires_action' | 'authorized' | 'captured' | 'voided' | 'failed';
export type OperationKind = 'authorize' | 'capture' | 'void' | 'refund';
export type OperationOrigin = 'command' | 'admin' | 'reconciliation';
export type OperationStatus = 'pending' | 'succeeded' | 'failed';
export type LedgerKind = 'authorization' | 'capture' | 'void' | 'refund';
export type LedgerSource = 'worker' | 'webhook' | 'reconciliation';

export interface PaymentsTable {
  id: string;
  order_id: string;
  customer_id: string;
  amount: number;
  currency: string;
  status: PaymentStatus;
  intent_id: string | null;
  authorized_amount: Generated<number>;
  captured_amount: Generated<number>;
  refunded_amount: Generated<number>;
  refund_pending_amount: Generated<number>;
  failure_code: string | null;
  failure_reason: string | null;
  reconciled_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface PaymentOperationsTable {
  id: string;
  payment_id: string | null;
  order_id: string;
  kind: OperationKind;
  origin: OperationOrigin;
  status: Generated<OperationStatus>;
  idempotency_key: string;
  amount: number;
  currency: string;
  refund_id: string | null;
  intent_id: string | null;
  payment_method: string | null;
  reason: string | null;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  lease_owner: string | null;
  lease_until: Date | null;
  first_sent_at: Date | null;
  /** A provider event reported this operation's outcome while its call was in flight (0003). */
  hinted_at: Generated<Date | null>;
  traceparent: Generated<string | null>;
  tracestate: Generated<string | null>;
  /** Who asked for an admin operation: `sub` and `jti` of the access token (0005); null otherwise. */
  requested_by: Generated<string | null>;
  requested_token_id: Generated<string | null>;
  outcome_unknown: Generated<boolean>;
  last_error: string | null;
  provider_ref: string | null;
  failure_code: string | null;
  failure_reason: string | null;
  created_at: Generated<Date>;
  completed_at: Date | null;
}

export interface LedgerEntriesTable {
  id: ColumnType<number, never, never>;
  order_id: string;
  payment_id: string | null;
  operation_id: string | null;
  kind: LedgerKind;
  amount: number;
  currency: string;
  provider_ref: string;
  source: LedgerSource;
  recorded_at: Generated<Date>;
}

export interface ProviderIntentsTable {
  intent_id: string;
  order_id: string | null;
  payment_id: string | null;
  status: string;
  amount: number;
  currency: string;
  amount_capturable: number;
  amount_received: number;
  amount_refunded: number;
  first_seen_at: Generated<Date>;
  synced_at: Generated<Date>;
  repaired_at: Date | null;
}

export interface WebhookEventsTable {
  event_id: string;
  type: string;
  object_id: string | null;
  received_at: Generated<Date>;
}

export interface ReconciliationFindingsTable {
  id: ColumnType<number, never, never>;
  kind: string;
  order_id: string | null;
  intent_id: string;
  action: string;
  detail: string;
  found_at: Generated<Date>;
}

export interface JobLeasesTable {
  name: string;
  owner: string | null;
  lease_until: Date | null;
  last_run_at: Date | null;
}
