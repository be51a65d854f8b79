import { inTransaction } from '@emporium/db';
import { lockOrdersPastDeadlineForUpdate } from '../data-access/orders-repository.js';
import type { OrdersDeps } from './deps.js';
import { Order } from './order.js';
import { saveOrderChanges } from './save-order.js';

/**
 * Handles the sagas whose step is past its deadline (Order.stepTimedOut: ask again, compensate,
 * or keep asking after the pivot), one order per transaction. Rows locked elsewhere (a reply
 * being handled, another replica's job) are skipped: safe with any number of replicas.
 * Returns how many orders it handled.
 */
export async function expireOverdueSteps(deps: OrdersDeps, options: { maxOrders: number }): Promise<number> {
  const failed: string[] = [];
  let handled = 0;
  while (handled + failed.length < options.maxOrders) {
    let orderId: string | undefined;
    try {
      const found = await inTransaction(deps.db, async (trx) => {
        const [data] = await lockOrdersPastDeadlineForUpdate(trx, deps.now(), 1, failed);
        if (!data) return false;
        orderId = data.id;
        const order = Order.load(data, deps.policy, deps.now());
        order.stepTimedOut();
        await saveOrderChanges(trx, deps, order);
        if (order.isStuck)
          deps.logger.error(
            { orderId: data.id, status: order.data.status, attempts: order.data.stepAttempts },
            'saga stuck: still no answer',
          );
        return true;
      });
      if (!found) break;
      handled++;
    } catch (error) {
      if (!orderId) throw error;
      // One broken order must not stop the others: skip it this round, it comes up again next time.
      deps.logger.error({ err: error, orderId }, 'step timeout could not be handled');
      failed.push(orderId);
    }
  }
  return handled;
}
