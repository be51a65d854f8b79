import { type Kysely, sql } from '@emporium/db';

/**
 * Payments (one per order), the operations we ask of the provider (each with the idempotency key
 * committed before the first call), the ledger of every money movement we know of, the provider's
 * intents as we last saw them, webhook events seen, and reconciliation findings.
 *
 * The CHECKs repeat the money rules so that no writer can break them: captured ≤ the order's
 * amount (I1), refunded ≤ captured (I2), and a payment-method token lives only as long as the
 * authorization that needs it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE payments (
      id uuid PRIMARY KEY,
      order_id uuid NOT NULL,
      customer_id text NOT NULL,
      amount bigint NOT NULL,
      currency text NOT NULL,
      status text NOT NULL,
      intent_id text,
      authorized_amount bigint NOT NULL DEFAULT 0,
      captured_amount bigint NOT NULL DEFAULT 0,
      refunded_amount bigint NOT NULL DEFAULT 0,
      refund_pending_amount bigint NOT NULL DEFAULT 0,
      failure_code text,
      failure_reason text,
      reconciled_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT payments_order_id_key UNIQUE (order_id),
      CONSTRAINT payments_intent_id_key UNIQUE (intent_id),
      CONSTRAINT payments_status_check CHECK (status IN ('authorizing', 'requires_action', 'authorized', 'captured', 'voided', 'failed')),
      CONSTRAINT payments_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
      CONSTRAINT payments_amount_check CHECK (amount >= 0),
      CONSTRAINT payments_authorized_check CHECK (authorized_amount BETWEEN 0 AND amount),
      CONSTRAINT payments_captured_check CHECK (captured_amount BETWEEN 0 AND amount),
      CONSTRAINT payments_refunded_check CHECK (refunded_amount BETWEEN 0 AND captured_amount),
      CONSTRAINT payments_refund_pending_check CHECK (refund_pending_amount >= 0)
    )`.execute(db);
  await sql`CREATE INDEX payments_recent ON payments (updated_at)`.execute(db);

  await sql`
    CREATE TABLE payment_operations (
      id uuid PRIMARY KEY,
      payment_id uuid REFERENCES payments (id),
      order_id uuid NOT NULL,
      kind text NOT NULL,
      origin text NOT NULL,
      status text NOT NULL DEFAULT 'pending',
      idempotency_key text NOT NULL,
      amount bigint NOT NULL,
      currency text NOT NULL,
      refund_id uuid,
      intent_id text,
      payment_method text,
      reason text,
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      lease_owner text,
      lease_until timestamptz,
      first_sent_at timestamptz,
      outcome_unknown boolean NOT NULL DEFAULT false,
      last_error text,
      provider_ref text,
      failure_code text,
      failure_reason text,
      created_at timestamptz NOT NULL DEFAULT now(),
      completed_at timestamptz,
      CONSTRAINT payment_operations_idempotency_key_key UNIQUE (idempotency_key),
      CONSTRAINT payment_operations_kind_check CHECK (kind IN ('authorize', 'capture', 'void', 'refund')),
      CONSTRAINT payment_operations_origin_check CHECK (origin IN ('command', 'admin', 'reconciliation')),
      CONSTRAINT payment_operations_status_check CHECK (status IN ('pending', 'succeeded', 'failed')),
      CONSTRAINT payment_operations_amount_check CHECK (amount >= 0),
      CONSTRAINT payment_operations_refund_id_check CHECK ((kind = 'refund') = (refund_id IS NOT NULL)),
      CONSTRAINT payment_operations_owner_check CHECK (payment_id IS NOT NULL OR (origin = 'reconciliation' AND intent_id IS NOT NULL)),
      CONSTRAINT payment_operations_token_check CHECK (payment_method IS NULL OR (kind = 'authorize' AND status = 'pending')),
      CONSTRAINT payment_operations_done_check CHECK ((status = 'pending') = (completed_at IS NULL))
    )`.execute(db);
  // One authorization, one capture and one void per payment; one operation per refund request;
  // one repair per stray provider intent.
  await sql`
    CREATE UNIQUE INDEX payment_operations_once_per_payment ON payment_operations (payment_id, kind)
    WHERE kind IN ('authorize', 'capture', 'void') AND origin <> 'reconciliation'`.execute(db);
  await sql`CREATE UNIQUE INDEX payment_operations_refund_id_key ON payment_operations (refund_id) WHERE refund_id IS NOT NULL`.execute(db);
  await sql`
    CREATE UNIQUE INDEX payment_operations_repair_once ON payment_operations (intent_id, kind)
    WHERE origin = 'reconciliation'`.execute(db);
  await sql`CREATE INDEX payment_operations_due ON payment_operations (next_attempt_at) WHERE status = 'pending'`.execute(db);
  await sql`CREATE INDEX payment_operations_payment ON payment_operations (payment_id, created_at)`.execute(db);
  await sql`CREATE INDEX payment_operations_order ON payment_operations (order_id, created_at)`.execute(db);

  await sql`
    CREATE TABLE ledger_entries (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      order_id uuid NOT NULL,
      payment_id uuid REFERENCES payments (id),
      operation_id uuid REFERENCES payment_operations (id),
      kind text NOT NULL,
      amount bigint NOT NULL,
      currency text NOT NULL,
      provider_ref text NOT NULL,
      source text NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT ledger_entries_kind_check CHECK (kind IN ('authorization', 'capture', 'void', 'refund')),
      CONSTRAINT ledger_entries_amount_check CHECK (amount >= 0),
      CONSTRAINT ledger_entries_source_check CHECK (source IN ('worker', 'webhook', 'reconciliation')),
      -- Each movement of the provider is recorded once, whichever path learnt of it first.
      CONSTRAINT ledger_entries_movement_key UNIQUE (kind, provider_ref)
    )`.execute(db);
  await sql`CREATE INDEX ledger_entries_order ON ledger_entries (order_id, id)`.execute(db);

  await sql`
    CREATE TABLE provider_intents (
      intent_id text PRIMARY KEY,
      order_id text,
      payment_id uuid REFERENCES payments (id),
      status text NOT NULL,
      amount bigint NOT NULL,
      currency text NOT NULL,
      amount_capturable bigint NOT NULL DEFAULT 0,
      amount_received bigint NOT NULL DEFAULT 0,
      amount_refunded bigint NOT NULL DEFAULT 0,
      first_seen_at timestamptz NOT NULL DEFAULT now(),
      synced_at timestamptz NOT NULL DEFAULT now(),
      repaired_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX provider_intents_foreign ON provider_intents (synced_at) WHERE payment_id IS NULL AND repaired_at IS NULL`.execute(
    db,
  );

  await sql`
    CREATE TABLE webhook_events (
      event_id text PRIMARY KEY,
      type text NOT NULL,
      object_id text,
      received_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX webhook_events_received_at ON webhook_events (received_at)`.execute(db);

  await sql`
    CREATE TABLE reconciliation_findings (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      kind text NOT NULL,
      order_id text,
      intent_id text NOT NULL,
      action text NOT NULL,
      detail text NOT NULL,
      found_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT reconciliation_findings_once UNIQUE (kind, intent_id)
    )`.execute(db);
  await sql`CREATE INDEX reconciliation_findings_found_at ON reconciliation_findings (found_at DESC, id DESC)`.execute(db);

  await sql`
    CREATE TABLE job_leases (
      name text PRIMARY KEY,
      owner text,
      lease_until timestamptz,
      last_run_at timestamptz
    )`.execute(db);
}
