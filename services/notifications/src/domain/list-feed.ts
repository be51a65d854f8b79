import type { NotificationsDb } from '../data-access/db.js';
import { type FeedEntryRecord, findFeedPage } from '../data-access/deliveries-repository.js';
import { decodeCursor, encodeCursor } from './cursor.js';

/** A customer's own feed, newest first, one page at a time (never anyone else's entries). */
export async function listFeed(
  db: NotificationsDb,
  q: { customerId: string; limit: number; cursor?: string | undefined },
): Promise<{ items: FeedEntryRecord[]; nextCursor: string | null }> {
  const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
  // One more than asked tells whether there is a next page.
  const rows = await findFeedPage(db, { customerId: q.customerId, limit: q.limit + 1, after });
  const items = rows.slice(0, q.limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > q.limit && last ? encodeCursor({ position: last.position, id: last.id }) : null };
}
