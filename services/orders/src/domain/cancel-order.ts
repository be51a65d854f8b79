import { inTransaction } from '@emporium/db';
import { lockOrderOfCustomerForUpdate } from '../data-access/orders-repository.js';
import type { OrdersDeps } from './deps.js';
import { orderNotFound } from './errors.js';
import { Order } from './order.js';
import type { OrderData } from './order-data.js';
import { saveOrderChanges } from './save-order.js';

/**
 * The customer cancels their order (Order.requestCancellation says how, by state). Asking again
 * answers the same and changes nothing: at most one refund per order.
 */
export async function cancelOrder(deps: OrdersDeps, customerId: string, orderId: string): Promise<OrderData> {
  return inTransaction(deps.db, async (trx) => {
    const data = await lockOrderOfCustomerForUpdate(trx, customerId, orderId);
    if (!data) throw orderNotFound(orderId);
    const order = Order.load(data, deps.policy, deps.now());
    if (order.requestCancellation() === 'applied') await saveOrderChanges(trx, deps, order);
    return order.data;
  });
}
