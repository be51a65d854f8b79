import type { Transaction } from '@emporium/db';
import { appendToOutbox } from '@emporium/messaging';
import { insertOrder, saveOrder } from '../data-access/orders-repository.js';
import type { OrdersDatabase } from '../data-access/tables.js';
import { appendTimeline } from '../data-access/timeline-repository.js';
import type { OrdersDeps } from './deps.js';
import type { Order } from './order.js';

/**
 * Saves an order with what its change produced — the saga state, the timeline entries and the
 * outbox messages — in the caller's transaction (STYLE.md §6: no dual writes).
 *
 * The saga metrics move here, inside the transaction: a transaction that is retried (a
 * serialization failure, an inbox batch run again one by one) may count a step twice. They are
 * operational signals; the database is the record.
 */
export async function saveOrderChanges(
  trx: Transaction<OrdersDatabase>,
  deps: OrdersDeps,
  order: Order,
  options: { isNew?: boolean } = {},
): Promise<void> {
  const changes = order.pullChanges();
  if (options.isNew) await insertOrder(trx, order.data);
  else await saveOrder(trx, order.data);
  await appendTimeline(trx, order.data.id, changes.timeline);
  await appendToOutbox(trx, deps.messages, changes.messages);
  for (const { step, seconds } of changes.completedSteps) deps.metrics.stepCompleted(step, seconds);
  for (const step of changes.compensatedSteps) deps.metrics.compensationSent(step);
  if (changes.sagaEnded) deps.metrics.sagaEnded(changes.sagaEnded.outcome, changes.sagaEnded.seconds);
}
