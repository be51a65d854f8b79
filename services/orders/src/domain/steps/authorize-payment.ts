import { PaymentsAuthorizeRequestedV1, PaymentsVoidRequestedV1 } from '@emporium/contracts';
import { addMs } from '../order-data.js';
import { aboutOrder, clip, type SagaStep } from './step.js';

/**
 * Step 2: payments authorizes (holds, does not take) the order's total on the customer's payment
 * method. Undo: void the authorization — harmless when there is none.
 *
 * The wait never outlasts the stock hold: a payment still unfinished when the reservation expires
 * (e.g. a card challenge the customer never completed) is abandoned then.
 */
export const authorizePayment: SagaStep = {
  id: 'authorizePayment',
  kind: 'compensable',
  status: 'authorizing',
  invoke: (order) => {
    if (!order.paymentMethod) throw new Error(`order ${order.id} has no payment method left to authorize`);
    return [
      aboutOrder(PaymentsAuthorizeRequestedV1, order, {
        orderId: order.id,
        customerId: order.customerId,
        amount: order.total,
        paymentMethod: order.paymentMethod,
      }),
    ];
  },
  compensate: (order, reason) => [aboutOrder(PaymentsVoidRequestedV1, order, { orderId: order.id, reason: clip(reason) })],
  deadline: (order, policy, now) => {
    const next = addMs(now, policy.authorizeTimeoutMs);
    const holdEnds = order.reservationExpiresAt;
    return holdEnds && holdEnds < next ? holdEnds : next;
  },
};
