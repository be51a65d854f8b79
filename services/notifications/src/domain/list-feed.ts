import { authorize, forbidden, type Principal } from '@emporium/auth';
import type { NotificationsDb } from '../data-access/db.js';
import { type FeedEntryRecord, findFeedPage } from '../data-access/deliveries-repository.js';
import { notificationsPolicy } from '../policy.js';
import { decodeCursor, encodeCursor } from './cursor.js';

/**
 * The caller's own feed, newest first, one page at a time. The page is the policy's condition
 * (policy.ts: a customer reads the FeedEntry whose customerId is theirs) written as SQL, so a
 * page never holds anyone else's entry; a caller who is not a customer has no feed (403).
 */
export async function listFeed(
  db: NotificationsDb,
  principal: Principal,
  q: { limit: number; cursor?: string | undefined },
): Promise<{ items: FeedEntryRecord[]; nextCursor: string | null }> {
  const customerId = principal.customerId;
  if (!customerId) throw forbidden('The feed is for customers');
  authorize(notificationsPolicy(principal), 'read', 'FeedEntry', { customerId });
  const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
  // One more than asked tells whether there is a next page.
  const rows = await findFeedPage(db, { customerId, limit: q.limit + 1, after });
  const items = rows.slice(0, q.limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > q.limit && last ? encodeCursor({ position: last.position, id: last.id }) : null };
}
