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

/** A timeline row as read, as a table row or as JSON (where `at` is text). */
export interface TimelineJson {
  step: string;
  status: string;
  detail: string;
  reason: string | null;
  at: Date | string;
}

export const timelineEntryOf = (r: TimelineJson): TimelineEntry => ({
  step: r.step as TimelineStep,
  status: r.status as TimelineStatus,
  at: new Date(r.at),
  detail: r.detail,
  ...(r.reason ? { reason: r.reason } : {}),
});

/** The order's timeline, oldest first (in the order it was written). */
export async function readTimeline(db: OrdersDb, orderId: string): Promise<TimelineEntry[]> {
  const rows = await db.selectFrom('order_timeline').selectAll().where('order_id', '=', orderId).orderBy('seq').execute();
  return rows.map(timelineEntryOf);
}
