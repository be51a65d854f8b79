import type { Selectable } from '@emporium/db';
import type { CatalogDb } from './db.js';
import type { ProductRecord, VariantRecord, VariantsTable } from './tables.js';

const COLUMNS = [
  'id',
  'product_id',
  'sku',
  'position',
  'attributes',
  'price_amount',
  'price_currency',
  'active',
  'created_at',
  'updated_at',
] as const;

const toRecord = (row: Selectable<VariantsTable>): VariantRecord => ({
  id: row.id,
  productId: row.product_id,
  sku: row.sku,
  position: row.position,
  attributes: row.attributes,
  price: { amount: Number(row.price_amount), currency: row.price_currency },
  active: row.active,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export async function insertVariants(trx: CatalogDb, variants: VariantRecord[]): Promise<void> {
  if (variants.length === 0) return;
  await trx
    .insertInto('variants')
    .values(
      variants.map((v) => ({
        id: v.id,
        product_id: v.productId,
        sku: v.sku,
        position: v.position,
        attributes: JSON.stringify(v.attributes),
        price_amount: v.price.amount,
        price_currency: v.price.currency,
        active: v.active,
        created_at: v.createdAt,
        updated_at: v.updatedAt,
      })),
    )
    .execute();
}

/** Variants of the given products, in their order within each product. */
export async function findVariantsOfProducts(db: CatalogDb, productIds: string[]): Promise<VariantRecord[]> {
  if (productIds.length === 0) return [];
  const rows = await db
    .selectFrom('variants')
    .select(COLUMNS)
    .where('product_id', 'in', productIds)
    .orderBy('product_id')
    .orderBy('position')
    .execute();
  return rows.map(toRecord);
}

/** The variants with these SKUs, each with its product. Unknown SKUs are simply absent. */
export async function findVariantsBySkus(db: CatalogDb, skus: string[]): Promise<{ variant: VariantRecord; product: ProductRecord }[]> {
  if (skus.length === 0) return [];
  const rows = await db
    .selectFrom('variants as v')
    .innerJoin('products as p', 'p.id', 'v.product_id')
    .select(COLUMNS.map((c) => `v.${c}` as const))
    .select([
      'p.slug as p_slug',
      'p.name as p_name',
      'p.description as p_description',
      'p.category as p_category',
      'p.brand as p_brand',
      'p.status as p_status',
      'p.version as p_version',
      'p.created_at as p_created_at',
      'p.updated_at as p_updated_at',
    ])
    .where('v.sku', 'in', skus)
    .orderBy('v.sku')
    .execute();
  return rows.map((r) => ({
    variant: toRecord(r),
    product: {
      id: r.product_id,
      slug: r.p_slug,
      name: r.p_name,
      description: r.p_description,
      category: r.p_category,
      brand: r.p_brand,
      status: r.p_status,
      version: r.p_version,
      createdAt: r.p_created_at,
      updatedAt: r.p_updated_at,
    },
  }));
}

/** Reads the variant and holds its row lock until the transaction ends. */
export async function lockVariantBySkuForUpdate(trx: CatalogDb, sku: string): Promise<VariantRecord | undefined> {
  const row = await trx.selectFrom('variants').select(COLUMNS).where('sku', '=', sku).forUpdate().executeTakeFirst();
  return row && toRecord(row);
}

export async function saveVariantPrice(trx: CatalogDb, v: VariantRecord): Promise<void> {
  await trx
    .updateTable('variants')
    .set({ price_amount: v.price.amount, price_currency: v.price.currency, updated_at: v.updatedAt })
    .where('id', '=', v.id)
    .execute();
}
