import { type Kysely, sql } from '@emporium/db';

/**
 * Products, their variants (one SKU each) and the history of every price a variant had.
 * Money is integer minor units plus an ISO 4217 code; the CHECKs repeat the domain's rules so
 * that no other writer can break them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE products (
      id uuid PRIMARY KEY,
      slug text NOT NULL,
      name text NOT NULL,
      description text NOT NULL DEFAULT '',
      category text NOT NULL,
      brand text NOT NULL DEFAULT '',
      status text NOT NULL DEFAULT 'active',
      version integer NOT NULL DEFAULT 1,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      -- Full-text search over name and brand (weight A) and description (weight C). The
      -- two-argument to_tsvector with a constant configuration is immutable, as a stored
      -- generated column requires (PostgreSQL 12+).
      search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, name), 'A') ||
        setweight(to_tsvector('english'::regconfig, brand), 'A') ||
        setweight(to_tsvector('english'::regconfig, description), 'C')
      ) STORED,
      CONSTRAINT products_slug_key UNIQUE (slug),
      CONSTRAINT products_status_check CHECK (status IN ('active', 'archived')),
      CONSTRAINT products_version_check CHECK (version >= 1)
    )`.execute(db);
  // Listing is keyset-paginated newest first: (created_at, id) descending, per status and per category.
  await sql`CREATE INDEX products_listing ON products (status, created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX products_category_listing ON products (category, status, created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX products_brand ON products (lower(brand))`.execute(db);
  await sql`CREATE INDEX products_search ON products USING gin (search)`.execute(db);

  await sql`
    CREATE TABLE variants (
      id uuid PRIMARY KEY,
      product_id uuid NOT NULL REFERENCES products (id),
      sku text NOT NULL,
      position integer NOT NULL,
      attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
      price_amount bigint NOT NULL,
      price_currency text NOT NULL,
      active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT variants_sku_key UNIQUE (sku),
      CONSTRAINT variants_position_key UNIQUE (product_id, position),
      CONSTRAINT variants_price_amount_check CHECK (price_amount >= 0),
      CONSTRAINT variants_price_currency_check CHECK (price_currency ~ '^[A-Z]{3}$'),
      CONSTRAINT variants_attributes_check CHECK (jsonb_typeof(attributes) = 'object')
    )`.execute(db);
  // The price filter asks "has an active variant priced between min and max".
  await sql`CREATE INDEX variants_active_price ON variants (price_currency, price_amount, product_id) WHERE active`.execute(db);

  await sql`
    CREATE TABLE price_history (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      variant_id uuid NOT NULL REFERENCES variants (id),
      old_amount bigint,
      old_currency text,
      new_amount bigint NOT NULL,
      new_currency text NOT NULL,
      changed_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT price_history_old_check CHECK ((old_amount IS NULL) = (old_currency IS NULL))
    )`.execute(db);
  await sql`CREATE INDEX price_history_variant ON price_history (variant_id, changed_at)`.execute(db);
}
