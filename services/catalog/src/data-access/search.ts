import { sql } from '@emporium/db';
import type { RawBuilder } from 'kysely';
import type { CatalogDb } from './db.js';

const MAX_TERMS = 8;

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Text search over name, brand and description. Each word of the query becomes a prefix term
 * of a PostgreSQL full-text query (`word:*`, all words required), answered by the GIN index on
 * `products.search`; words are reduced to letters and digits first, so the query text can never
 * be tsquery syntax. Short queries (under three characters) and queries made only of stop words
 * ("the", "it") have no useful lexemes: those are matched as a substring (ILIKE) instead.
 * The choice is made before the query is planned, so a normal search stays an index scan
 * (an OR of both in one condition would make every search a sequential scan).
 */
export async function searchCondition(db: CatalogDb, text: string): Promise<RawBuilder<boolean>> {
  const q = text.trim();
  const terms = (q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, MAX_TERMS);
  const tsquery = terms.map((t) => `${t}:*`).join(' & ');
  const substring = sql<boolean>`(p.name ILIKE ${`%${escapeLike(q)}%`} OR p.brand ILIKE ${`%${escapeLike(q)}%`} OR p.description ILIKE ${`%${escapeLike(q)}%`})`;
  if (q.length < 3 || tsquery === '') return substring;
  const { rows } = await sql<{ lexemes: number }>`SELECT numnode(to_tsquery('english', ${tsquery})) AS lexemes`.execute(db);
  if (!rows[0]?.lexemes) return substring;
  return sql<boolean>`p.search @@ to_tsquery('english', ${tsquery})`;
}
