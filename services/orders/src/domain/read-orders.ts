import { findOrderPageOfCustomer, findOrderVersionOfCustomer, findOrderWithTimelineOfCustomer } from '../data-access/orders-repository.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { OrdersDeps } from './deps.js';
import { orderNotFound } from './errors.js';
import type { OrderData } from './order-data.js';
import type { TimelineEntry } from './timeline.js';

/**
 * How often a waiting reader reads the order's version again without a notification: the bound on
 * how late it sees a change when notifications are not coming (the LISTEN connection down).
 */
const RECHECK_MS = 1_000;

/**
 * One of the customer's own orders with its timeline; another customer's → 404 order_not_found.
 * With `unlessVersion` (the versions the reader holds, from If-None-Match) it answers 'unchanged'
 * while the order is still at one of them — after waiting up to `waitMs` (Prefer: wait, capped)
 * for it to move on. A waiting reader costs one small read per notification or RECHECK_MS.
 */
export async function getOrder(
  deps: OrdersDeps,
  customerId: string,
  orderId: string,
  conditional: { unlessVersion?: ReadonlySet<number>; waitMs?: number } = {},
): Promise<{ order: OrderData; timeline: TimelineEntry[] } | { unchanged: number }> {
  const held = conditional.unlessVersion;
  if (held?.size) {
    const deadline = Date.now() + Math.min(conditional.waitMs ?? 0, deps.changes.maxWaitMs);
    // Watch before reading: a change committed after the read is not missed.
    const watch = deps.changes.watch(orderId);
    try {
      for (;;) {
        const version = await findOrderVersionOfCustomer(deps.db, customerId, orderId);
        if (version === undefined) throw orderNotFound(orderId);
        if (!held.has(version)) break;
        const left = deadline - Date.now();
        if (left <= 0) return { unchanged: version };
        await watch.next(Math.min(left, RECHECK_MS));
      }
    } finally {
      watch.close();
    }
  }
  const found = await findOrderWithTimelineOfCustomer(deps.db, customerId, orderId);
  if (!found) throw orderNotFound(orderId);
  return found;
}

/** The customer's own orders, newest first, one page at a time (keyset on created_at, id). */
export async function listOrders(
  deps: OrdersDeps,
  customerId: string,
  query: { limit: number; cursor?: string | undefined },
): Promise<{ items: OrderData[]; nextCursor: string | null }> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const rows = await findOrderPageOfCustomer(deps.db, customerId, { after, limit: query.limit + 1 });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => r.order),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ position: last.position, id: last.order.id }) : null,
  };
}
