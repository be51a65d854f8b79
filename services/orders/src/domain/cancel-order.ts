import { authorizeVisible } from '@emporium/auth';
import { inTransaction } from '@emporium/db';
import { lockOrderForUpdate } from '../data-access/orders-repository.js';
import type { OrdersAbility } from '../policy.js';
import type { OrdersDeps } from './deps.js';
import { orderNotFound } from './errors.js';
import { Order } from './order.js';
import type { OrderData } from './order-data.js';
import { saveOrderChanges } from './save-order.js';

/**
 * A customer cancels their order (Order.requestCancellation says how, by state). An order the
 * caller may not even read is not found (404, as a missing one); one they may read but not cancel
 * (support of its region) is 403. Asking again answers the same and changes nothing: at most one
 * refund per order.
 */
export async function cancelOrder(deps: OrdersDeps, ability: OrdersAbility, orderId: string): Promise<OrderData> {
  return inTransaction(deps.db, async (trx) => {
    const data = await lockOrderForUpdate(trx, orderId);
    if (!data) throw orderNotFound(orderId);
    authorizeVisible(ability, 'cancel', 'Order', { customerId: data.customerId, region: data.region }, () => orderNotFound(orderId));
    const order = Order.load(data, deps.policy, deps.now());
    if (order.requestCancellation() === 'applied') await saveOrderChanges(trx, deps, order);
    return order.data;
  });
}
