import type { ColumnType } from '@emporium/db';
import type { OutboxTable } from '@emporium/messaging';

/** The catalog database, as Kysely sees it. `products.search` (generated tsvector) is left out on purpose. */
export interface CatalogDatabase {
  products: ProductsTable;
  variants: VariantsTable;
  price_history: PriceHistoryTable;
  outbox: OutboxTable;
}

export type ProductStatus = 'active' | 'archived';

export interface ProductsTable {
  id: string;
  slug: string;
  name: string;
  description: string;
  category: string;
  brand: string;
  status: ProductStatus;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface VariantsTable {
  id: string;
  product_id: string;
  sku: string;
  /** Order of the variant within its product (S, M, L… as entered). */
  position: number;
  /** Read as an object, written as JSON text. */
  attributes: ColumnType<Record<string, string>, string, string>;
  price_amount: number;
  price_currency: string;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface PriceHistoryTable {
  id: ColumnType<number, never, never>;
  variant_id: string;
  old_amount: number | null;
  old_currency: string | null;
  new_amount: number;
  new_currency: string;
  changed_at: Date;
}

/** A product as the repositories read and write it. */
export interface ProductRecord {
  id: string;
  slug: string;
  name: string;
  description: string;
  category: string;
  brand: string;
  status: ProductStatus;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface MoneyRecord {
  amount: number;
  currency: string;
}

export interface VariantRecord {
  id: string;
  productId: string;
  sku: string;
  position: number;
  attributes: Record<string, string>;
  price: MoneyRecord;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}
