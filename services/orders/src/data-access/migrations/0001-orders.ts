import { type Kysely, sql } from '@emporium/db';

/**
 * Orders, their lines and timeline, the saga state (on the order row), and Idempotency-Keys.
 * Invariants live in the database too: the status edges (I11, by trigger), a confirmed order is
 * paid and its stock committed, a cancelled order keeps no capture that is not refunded (I6).
 * The lists are written out here, not imported: an applied migration never changes.
 */
const STATUSES = ['pending', 'reserving', 'authorizing', 'capturing', 'confirmed', 'cancelling', 'cancelled', 'needs_attention'];
const STEPS = ['reserveStock', 'authorizePayment', 'commitStockAndCapture', 'confirm'];
const TRANSITIONS: [string, string][] = [
  ['pending', 'reserving'],
  ['reserving', 'authorizing'],
  ['reserving', 'cancelled'],
  ['authorizing', 'capturing'],
  ['authorizing', 'cancelled'],
  ['capturing', 'confirmed'],
  ['capturing', 'cancelled'],
  ['capturing', 'cancelling'],
  ['confirmed', 'cancelling'],
  ['cancelling', 'cancelled'],
  ['cancelling', 'needs_attention'],
  ['needs_attention', 'cancelled'],
];

const list = (values: string[]) => sql.join(values.map((v) => sql.lit(v)));

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE orders (
      id uuid PRIMARY KEY,
      customer_id text NOT NULL,
      email text NOT NULL,
      shipping_address jsonb NOT NULL,
      total_amount bigint NOT NULL CHECK (total_amount >= 0),
      currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      status text NOT NULL CHECK (status IN (${list(STATUSES)})),
      step text CHECK (step IN (${list(STEPS)})),
      step_started_at timestamptz,
      step_deadline timestamptz,
      step_attempts integer NOT NULL DEFAULT 0 CHECK (step_attempts >= 0),
      payment_method text,
      reservation_expires_at timestamptz,
      stock_reserved_at timestamptz,
      payment_id uuid,
      payment_authorized_at timestamptz,
      payment_captured_at timestamptz,
      stock_committed_at timestamptz,
      stock_released_at timestamptz,
      payment_voided_at timestamptz,
      confirmed_at timestamptz,
      cancelled_at timestamptz,
      cancel_requested_at timestamptz,
      cancel_reason text,
      refund_id uuid,
      refunded_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      version integer NOT NULL DEFAULT 1,
      CONSTRAINT orders_confirmed_is_paid_and_committed
        CHECK (status <> 'confirmed' OR (payment_captured_at IS NOT NULL AND stock_committed_at IS NOT NULL)),
      CONSTRAINT orders_cancelled_keeps_no_capture
        CHECK (status <> 'cancelled' OR payment_captured_at IS NULL OR refunded_at IS NOT NULL),
      CONSTRAINT orders_refund_has_an_id CHECK (refunded_at IS NULL OR refund_id IS NOT NULL),
      CONSTRAINT orders_at_rest_waits_for_nothing
        CHECK (status NOT IN ('confirmed', 'cancelled', 'needs_attention') OR step_deadline IS NULL),
      CONSTRAINT orders_payment_method_only_until_authorized
        CHECK (payment_method IS NULL OR status IN ('pending', 'reserving', 'authorizing'))
    )`.execute(db);
  await sql`CREATE INDEX orders_of_customer_newest_first ON orders (customer_id, created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX orders_step_deadline ON orders (step_deadline) WHERE step_deadline IS NOT NULL`.execute(db);

  await sql`
    CREATE TABLE order_lines (
      order_id uuid NOT NULL REFERENCES orders (id),
      position integer NOT NULL CHECK (position >= 0),
      sku text NOT NULL,
      name text NOT NULL,
      quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
      unit_amount bigint NOT NULL CHECK (unit_amount >= 0),
      currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      PRIMARY KEY (order_id, position),
      UNIQUE (order_id, sku)
    )`.execute(db);

  await sql`
    CREATE TABLE order_timeline (
      seq bigserial PRIMARY KEY,
      order_id uuid NOT NULL REFERENCES orders (id),
      step text NOT NULL,
      status text NOT NULL,
      detail text NOT NULL,
      reason text,
      at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX order_timeline_of_order ON order_timeline (order_id, seq)`.execute(db);

  // I11 in the database: a status change off these edges fails, whoever writes it.
  await sql`
    CREATE TABLE order_status_transitions (
      from_status text NOT NULL,
      to_status text NOT NULL,
      PRIMARY KEY (from_status, to_status)
    )`.execute(db);
  await sql`INSERT INTO order_status_transitions (from_status, to_status) VALUES ${sql.join(TRANSITIONS.map(([f, t]) => sql`(${f}, ${t})`))}`.execute(
    db,
  );
  await sql`
    CREATE FUNCTION orders_follow_transitions() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'pending' AND NOT EXISTS (
          SELECT 1 FROM order_status_transitions WHERE from_status = 'pending' AND to_status = NEW.status) THEN
          RAISE EXCEPTION 'an order cannot start as %', NEW.status USING ERRCODE = 'check_violation';
        END IF;
      ELSIF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (
          SELECT 1 FROM order_status_transitions WHERE from_status = OLD.status AND to_status = NEW.status) THEN
        RAISE EXCEPTION 'order % cannot go from % to %', OLD.id, OLD.status, NEW.status USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER orders_follow_transitions BEFORE INSERT OR UPDATE OF status ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_follow_transitions()`.execute(db);

  // draft-ietf-httpapi-idempotency-key-header: one row per customer and key.
  await sql`
    CREATE TABLE idempotency_keys (
      customer_id text NOT NULL,
      key text NOT NULL,
      fingerprint text NOT NULL,
      state text NOT NULL CHECK (state IN ('in_flight', 'completed')),
      claim_token uuid NOT NULL,
      claimed_at timestamptz NOT NULL,
      order_id uuid,
      response_status integer,
      response_headers jsonb,
      response_body text,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (customer_id, key),
      CONSTRAINT idempotency_keys_completed_has_response
        CHECK (state <> 'completed' OR (response_status IS NOT NULL AND response_body IS NOT NULL AND order_id IS NOT NULL))
    )`.execute(db);
  await sql`CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at)`.execute(db);
}
