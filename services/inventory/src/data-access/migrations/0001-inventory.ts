import { type Kysely, sql } from '@emporium/db';

/**
 * Stock per SKU and location, reservations per order with where their units are held, the
 * movements journal and the receipts by reference.
 *
 * The database, not only the code, keeps stock from being oversold: `reserved <= on_hand`,
 * `reserved >= 0` and `on_hand >= 0` are CHECKs on every row, so a bug, a race or a hand-written
 * UPDATE that would oversell is refused (I4; F17). A trigger keeps a reservation's status on the
 * edges of its state machine (I11), whoever writes it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE stock_levels (
      sku text NOT NULL,
      location text NOT NULL,
      on_hand bigint NOT NULL DEFAULT 0,
      reserved bigint NOT NULL DEFAULT 0,
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT stock_levels_pkey PRIMARY KEY (sku, location),
      CONSTRAINT stock_levels_on_hand_check CHECK (on_hand >= 0),
      CONSTRAINT stock_levels_reserved_check CHECK (reserved >= 0),
      CONSTRAINT stock_levels_reserved_within_on_hand CHECK (reserved <= on_hand)
    )`.execute(db);

  await sql`
    CREATE TABLE reservations (
      order_id uuid PRIMARY KEY,
      status text NOT NULL,
      lines jsonb NOT NULL,
      expires_at timestamptz,
      failure_reason text,
      shortages jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      committed_at timestamptz,
      released_at timestamptz,
      CONSTRAINT reservations_status_check CHECK (status IN ('reserved', 'committed', 'released', 'expired', 'failed')),
      CONSTRAINT reservations_failure_check CHECK ((status = 'failed') = (failure_reason IS NOT NULL)),
      CONSTRAINT reservations_failure_reason_check CHECK (failure_reason IN ('out_of_stock', 'unknown_sku')),
      CONSTRAINT reservations_expiry_check CHECK (status = 'failed' OR expires_at IS NOT NULL),
      CONSTRAINT reservations_lines_check CHECK (jsonb_typeof(lines) = 'array')
    )`.execute(db);
  // The expiry sweep reads only live reservations, oldest deadline first.
  await sql`CREATE INDEX reservations_expiring ON reservations (expires_at) WHERE status = 'reserved'`.execute(db);

  // The state machine of a reservation (domain/reservation.ts), enforced for every writer:
  // created reserved or failed; reserved → committed | released | expired; committed → released
  // (the order was cancelled after the commit: the units come back); expired → committed (a late
  // commit that could reserve again) | failed (one that could not). released and failed are final.
  await sql`
    CREATE FUNCTION reservations_status_transition() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF NEW.status NOT IN ('reserved', 'failed') THEN
          RAISE EXCEPTION 'a reservation starts reserved or failed, not %', NEW.status USING ERRCODE = 'check_violation',
            CONSTRAINT = 'reservations_status_transition';
        END IF;
      ELSIF NEW.status IS DISTINCT FROM OLD.status AND NOT (
        (OLD.status = 'reserved' AND NEW.status IN ('committed', 'released', 'expired')) OR
        (OLD.status = 'committed' AND NEW.status = 'released') OR
        (OLD.status = 'expired' AND NEW.status IN ('committed', 'failed'))
      ) THEN
        RAISE EXCEPTION 'a reservation cannot go from % to %', OLD.status, NEW.status USING ERRCODE = 'check_violation',
          CONSTRAINT = 'reservations_status_transition';
      END IF;
      RETURN NEW;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER reservations_status_transition BEFORE INSERT OR UPDATE OF status ON reservations
    FOR EACH ROW EXECUTE FUNCTION reservations_status_transition()`.execute(db);

  await sql`
    CREATE TABLE reservation_lines (
      order_id uuid NOT NULL REFERENCES reservations (order_id),
      sku text NOT NULL,
      location text NOT NULL,
      quantity bigint NOT NULL,
      CONSTRAINT reservation_lines_pkey PRIMARY KEY (order_id, sku, location),
      CONSTRAINT reservation_lines_stock_fkey FOREIGN KEY (sku, location) REFERENCES stock_levels (sku, location),
      CONSTRAINT reservation_lines_quantity_check CHECK (quantity > 0)
    )`.execute(db);

  await sql`
    CREATE TABLE stock_movements (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      sku text NOT NULL,
      location text NOT NULL,
      kind text NOT NULL,
      on_hand_delta bigint NOT NULL,
      reserved_delta bigint NOT NULL,
      order_id uuid,
      reference text,
      reason text,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT stock_movements_stock_fkey FOREIGN KEY (sku, location) REFERENCES stock_levels (sku, location),
      CONSTRAINT stock_movements_kind_check CHECK (kind IN ('receipt', 'adjustment', 'reserve', 'commit', 'release', 'expiry')),
      CONSTRAINT stock_movements_delta_check CHECK (on_hand_delta <> 0 OR reserved_delta <> 0),
      CONSTRAINT stock_movements_order_check CHECK ((kind IN ('receipt', 'adjustment')) = (order_id IS NULL))
    )`.execute(db);
  await sql`CREATE INDEX stock_movements_sku ON stock_movements (sku, id)`.execute(db);
  await sql`CREATE INDEX stock_movements_order ON stock_movements (order_id) WHERE order_id IS NOT NULL`.execute(db);

  await sql`
    CREATE TABLE stock_receipts (
      sku text NOT NULL,
      reference text NOT NULL,
      location text NOT NULL,
      quantity bigint NOT NULL,
      reason text,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT stock_receipts_pkey PRIMARY KEY (sku, reference),
      CONSTRAINT stock_receipts_quantity_check CHECK (quantity <> 0)
    )`.execute(db);
}
