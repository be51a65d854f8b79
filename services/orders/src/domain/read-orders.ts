import { findOrderOfCustomer, findOrderPageOfCustomer } from '../data-access/orders-repository.js';
import { readTimeline } from '../data-access/timeline-repository.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { OrdersDeps } from './deps.js';
import { orderNotFound } from './errors.js';
import type { OrderData } from './order-data.js';
import type { TimelineEntry } from './timeline.js';

/** One of the customer's own orders with its timeline; another customer's → 404 order_not_found. */
export async function getOrder(
  deps: OrdersDeps,
  customerId: string,
  orderId: string,
): Promise<{ order: OrderData; timeline: TimelineEntry[] }> {
  const order = await findOrderOfCustomer(deps.db, customerId, orderId);
  if (!order) throw orderNotFound(orderId);
  return { order, timeline: await readTimeline(deps.db, orderId) };
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
