import type { Transaction } from '@emporium/db';
import { lockOrderForUpdate } from '../data-access/orders-repository.js';
import type { OrdersDatabase } from '../data-access/tables.js';
import type { OrdersDeps } from './deps.js';
import { Order, type Outcome } from './order.js';
import { saveOrderChanges } from './save-order.js';

/**
 * Drives the saga with one reply, in the inbox transaction of that reply: load and lock the order,
 * let the state machine decide (a reply that does not fit the current state is ignored), and save
 * the new state, its timeline and the next command together. Database work only: this may run
 * again after a rollback.
 */
export async function applyReply(
  deps: OrdersDeps,
  trx: Transaction<OrdersDatabase>,
  reply: { type: string; orderId: string },
  decide: (order: Order) => Outcome,
): Promise<Outcome> {
  const data = await lockOrderForUpdate(trx, reply.orderId);
  if (!data) {
    deps.logger.warn({ orderId: reply.orderId, type: reply.type }, 'reply for an order this service does not have; ignored');
    return 'ignored';
  }
  const order = Order.load(data, deps.policy, deps.now());
  const outcome = decide(order);
  if (outcome === 'applied') await saveOrderChanges(trx, deps, order);
  else deps.logger.info({ orderId: reply.orderId, type: reply.type, status: data.status }, 'reply does not fit the order state; ignored');
  return outcome;
}
