import { authorizeVisible } from '@emporium/auth';
import { findOrderPage, findOrderVersion, findOrderWithTimeline } from '../data-access/orders-repository.js';
import { type OrderAccess, type OrdersAbility, orderScopeOf } from '../policy.js';
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

/** 404 order_not_found, unless the policy lets the caller read this order (BOLA: never 403, no existence leak). */
function mayRead(ability: OrdersAbility, orderId: string, order: OrderAccess): void {
  authorizeVisible(ability, 'read', 'Order', { customerId: order.customerId, region: order.region }, () => orderNotFound(orderId));
}

/**
 * One order with its timeline, when the policy lets the caller read it; otherwise 404
 * order_not_found, exactly as for an id that does not exist.
 * With `unlessVersion` (the versions the reader holds, from If-None-Match) it answers 'unchanged'
 * while the order is still at one of them — after waiting up to `waitMs` (Prefer: wait, capped)
 * for it to move on. A waiting reader costs one small read per notification or RECHECK_MS.
 */
export async function getOrder(
  deps: OrdersDeps,
  ability: OrdersAbility,
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
        const current = await findOrderVersion(deps.db, orderId);
        if (!current) throw orderNotFound(orderId);
        mayRead(ability, orderId, current);
        if (!held.has(current.version)) break;
        const left = deadline - Date.now();
        if (left <= 0) return { unchanged: current.version };
        await watch.next(Math.min(left, RECHECK_MS));
      }
    } finally {
      watch.close();
    }
  }
  const found = await findOrderWithTimeline(deps.db, orderId);
  if (!found) throw orderNotFound(orderId);
  mayRead(ability, orderId, found.order);
  return found;
}

/**
 * The orders the caller may read, newest first, one page at a time (keyset on created_at, id):
 * a customer's own, a support member's region, every order for an admin. The SQL filter is
 * derived from the policy's rules (orderScopeOf), so a list never shows an order that a single
 * read would refuse.
 */
export async function listOrders(
  deps: OrdersDeps,
  ability: OrdersAbility,
  query: { limit: number; cursor?: string | undefined },
): Promise<{ items: OrderData[]; nextCursor: string | null }> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const scope = orderScopeOf(ability, 'read');
  if (!scope) return { items: [], nextCursor: null };
  const rows = await findOrderPage(deps.db, scope, { after, limit: query.limit + 1 });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => r.order),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ position: last.position, id: last.order.id }) : null,
  };
}
