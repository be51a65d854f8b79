import { authorizeVisible, type Principal } from '@emporium/auth';
import type { NotificationsDb } from '../data-access/db.js';
import { type FeedEntryRecord, findFeedEntry, markFeedEntryRead } from '../data-access/deliveries-repository.js';
import { notificationsPolicy } from '../policy.js';
import { feedEntryNotFound } from './errors.js';

/**
 * A feed entry the principal may see (policy.ts: the customer whose feed it is in). Anyone else
 * — another customer, support, an admin — gets the answer of an id that does not exist (404).
 */
async function visibleFeedEntry(
  db: NotificationsDb,
  principal: Principal,
  id: string,
  action: 'read' | 'mark_read',
): Promise<FeedEntryRecord> {
  const entry = await findFeedEntry(db, id);
  if (!entry) throw feedEntryNotFound(id);
  authorizeVisible(notificationsPolicy(principal), action, 'FeedEntry', entry, () => feedEntryNotFound(id));
  return entry;
}

/** One of the customer's feed entries. */
export const getFeedEntry = (db: NotificationsDb, principal: Principal, id: string): Promise<FeedEntryRecord> =>
  visibleFeedEntry(db, principal, id, 'read');

/** Marks one of the customer's feed entries read (the first reading time stays). */
export async function readFeedEntry(db: NotificationsDb, principal: Principal, id: string): Promise<FeedEntryRecord> {
  const entry = await visibleFeedEntry(db, principal, id, 'mark_read');
  // Scoped to the entry's customer again in SQL: the update can only ever touch the entry just allowed.
  const marked = await markFeedEntryRead(db, entry.customerId, id);
  if (!marked) throw feedEntryNotFound(id);
  return marked;
}
