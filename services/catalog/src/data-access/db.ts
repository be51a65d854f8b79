import { isUniqueViolation, type Kysely } from '@emporium/db';
import type { CatalogDatabase } from './tables.js';

/** The catalog's database or a transaction on it: every repository function takes one first. */
export type CatalogDb = Kysely<CatalogDatabase>;

/** Which unique key a failed INSERT hit, if it was one of ours; the value comes from PostgreSQL's detail. */
export function takenKeyOf(error: unknown): { key: 'slug' | 'sku'; value: string | undefined } | undefined {
  const key = isUniqueViolation(error, 'products_slug_key') ? 'slug' : isUniqueViolation(error, 'variants_sku_key') ? 'sku' : undefined;
  if (!key) return undefined;
  // detail: Key (sku)=(TEE-RED-M) already exists.
  const detail = (error as { detail?: string }).detail ?? '';
  return { key, value: /\)=\((.*)\) already exists/.exec(detail)?.[1] };
}
