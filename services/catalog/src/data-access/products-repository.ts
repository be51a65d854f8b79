import { type Selectable, sql } from '@emporium/db';
import type { CatalogDb } from './db.js';
import { searchCondition } from './search.js';
import type { ProductRecord, ProductStatus, ProductsTable } from './tables.js';

const COLUMNS = ['id', 'slug', 'name', 'description', 'category', 'brand', 'status', 'version', 'created_at', 'updated_at'] as const;

const toRecord = (row: Selectable<ProductsTable>): ProductRecord => ({
  id: row.id,
  slug: row.slug,
  name: row.name,
  description: row.description,
  category: row.category,
  brand: row.brand,
  status: row.status,
  version: row.version,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export async function insertProducts(trx: CatalogDb, products: ProductRecord[]): Promise<void> {
  if (products.length === 0) return;
  await trx
    .insertInto('products')
    .values(
      products.map((p) => ({
        id: p.id,
        slug: p.slug,
        name: p.name,
        description: p.description,
        category: p.category,
        brand: p.brand,
        status: p.status,
        version: p.version,
        created_at: p.createdAt,
        updated_at: p.updatedAt,
      })),
    )
    .execute();
}

export async function findProductById(db: CatalogDb, id: string): Promise<ProductRecord | undefined> {
  const row = await db.selectFrom('products').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && toRecord(row);
}

/** Reads the product and holds its row lock until the transaction ends (writers of one product queue up). */
export async function lockProductForUpdate(trx: CatalogDb, id: string): Promise<ProductRecord | undefined> {
  const row = await trx.selectFrom('products').select(COLUMNS).where('id', '=', id).forUpdate().executeTakeFirst();
  return row && toRecord(row);
}

/** Writes the editable fields, the version and updated_at of a product read with lockProductForUpdate. */
export async function saveProduct(trx: CatalogDb, p: ProductRecord): Promise<void> {
  await trx
    .updateTable('products')
    .set({
      name: p.name,
      description: p.description,
      category: p.category,
      brand: p.brand,
      status: p.status,
      version: p.version,
      updated_at: p.updatedAt,
    })
    .where('id', '=', p.id)
    .execute();
}

export async function hasAnyProduct(db: CatalogDb): Promise<boolean> {
  const row = await db.selectFrom('products').select('id').limit(1).executeTakeFirst();
  return row !== undefined;
}

export interface ProductFilter {
  /** undefined: every status. */
  status: ProductStatus | undefined;
  category: string | undefined;
  brand: string | undefined;
  /** Free text, matched by searchCondition. */
  text: string | undefined;
  /** Has an active variant priced within [min, max] (in `currency` when given). */
  price: { min: number | undefined; max: number | undefined; currency: string | undefined } | undefined;
  /** Keyset position: rows strictly after this (created_at, id) in the descending order. */
  after: { position: string; id: string } | undefined;
  limit: number;
}

/** One page of products, newest first, each with the opaque position of its (created_at, id) key. */
export async function findProductPage(db: CatalogDb, f: ProductFilter): Promise<{ product: ProductRecord; position: string }[]> {
  let query = db
    .selectFrom('products as p')
    .select(COLUMNS.map((c) => `p.${c}` as const))
    // Microseconds, so the keyset comparison is exact (a JavaScript Date keeps milliseconds only).
    .select(sql<string>`to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('position'));
  if (f.status) query = query.where('p.status', '=', f.status);
  if (f.category) query = query.where('p.category', '=', f.category);
  if (f.brand) query = query.where(sql<boolean>`lower(p.brand) = lower(${f.brand})`);
  if (f.text) query = query.where(await searchCondition(db, f.text));
  const price = f.price;
  if (price) {
    query = query.where(({ exists, selectFrom }) => {
      let v = selectFrom('variants as v').select(sql`1`.as('one')).whereRef('v.product_id', '=', 'p.id').where('v.active', '=', true);
      if (price.min !== undefined) v = v.where('v.price_amount', '>=', price.min);
      if (price.max !== undefined) v = v.where('v.price_amount', '<=', price.max);
      if (price.currency !== undefined) v = v.where('v.price_currency', '=', price.currency);
      return exists(v);
    });
  }
  if (f.after) query = query.where(sql<boolean>`(p.created_at, p.id) < (${f.after.position}::timestamptz, ${f.after.id}::uuid)`);
  const rows = await query.orderBy('p.created_at', 'desc').orderBy('p.id', 'desc').limit(f.limit).execute();
  return rows.map(({ position, ...row }) => ({ product: toRecord(row), position }));
}
