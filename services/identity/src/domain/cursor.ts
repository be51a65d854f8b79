import { type KeysetPosition, keysetCursor } from '@emporium/db';
import { invalidCursor } from './errors.js';

/** Where a page ended (the keyset of its last row). */
export type Position = KeysetPosition;

export const { encodeCursor, decodeCursor } = keysetCursor(invalidCursor);

/** Keyset pagination: ask for one more row than the page holds to learn whether another follows. */
export function pageOf<T>(rows: { position: string; id: string; item: T }[], limit: number): { items: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => r.item),
    nextCursor: rows.length > limit && last ? encodeCursor({ position: last.position, id: last.id }) : null,
  };
}
