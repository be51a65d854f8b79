import type { NotificationsDb } from '../data-access/db.js';
import { type FeedEntryRecord, markFeedEntryRead } from '../data-access/deliveries-repository.js';
import { feedEntryNotFound } from './errors.js';

/** Marks one of the customer's feed entries read; another customer's entry is answered as unknown (404). */
export async function readFeedEntry(db: NotificationsDb, customerId: string, id: string): Promise<FeedEntryRecord> {
  const entry = await markFeedEntryRead(db, customerId, id);
  if (!entry) throw feedEntryNotFound(id);
  return entry;
}
