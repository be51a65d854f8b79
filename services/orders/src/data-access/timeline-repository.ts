import type { TimelineEntry, TimelineStatus, TimelineStep } from '../domain/timeline.js';
import type { OrdersDb } from './tables.js';

export async function appendTimeline(trx: OrdersDb, orderId: string, entries: TimelineEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await trx
    .insertInto('order_timeline')
    .values(
      entries.map((e) => ({ order_id: orderId, step: e.step, status: e.status, detail: e.detail, reason: e.reason ?? null, at: e.at })),
    )
    .execute();
}

/** The order's timeline, oldest first (in the order it was written). */
export async function readTimeline(db: OrdersDb, orderId: string): Promise<TimelineEntry[]> {
  const rows = await db.selectFrom('order_timeline').selectAll().where('order_id', '=', orderId).orderBy('seq').execute();
  return rows.map((r) => ({
    step: r.step as TimelineStep,
    status: r.status as TimelineStatus,
    at: r.at,
    detail: r.detail,
    ...(r.reason ? { reason: r.reason } : {}),
  }));
}
