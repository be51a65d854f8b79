import {
  InventoryCommitRequestedV1,
  InventoryReleaseRequestedV1,
  PaymentsCaptureRequestedV1,
  PaymentsRefundRequestedV1,
} from '@emporium/contracts';
import type { Envelope } from '@emporium/messaging';
import { addMs, type OrderData } from '../order-data.js';
import { aboutOrder, clip, type SagaStep } from './step.js';

/**
 * Step 3, the pivot: take the money and turn the stock hold into a sale. Both must be confirmed
 * before the order is.
 *
 * The two halves go in this order on purpose. The capture can fail (an expired authorization, a
 * provider refusal); committing a held reservation cannot (inventory has no failure for it). So the
 * commit is sent only once the capture succeeded: a failed capture leaves the hold intact and the
 * order is undone cleanly (void + release), and no stock is ever sold for an order that was not
 * paid. (Sending both at once would leave stock committed for an unpaid order, which no message
 * can give back.)
 *
 * After the pivot, the undo is a refund of the whole capture with the order's one refund id, plus
 * a release of the order's stock: a hold not committed yet is let go, committed units go back on
 * hand (inventory keys both by the order, so a repeated release changes nothing). A timeout never compensates the pivot: its
 * outcome is unknown, so the same command is sent again (payments resolves it by the order's key).
 */
export const commitStockAndCapture: SagaStep & {
  commit(order: OrderData): Envelope[];
  resend(order: OrderData): Envelope[];
} = {
  id: 'commitStockAndCapture',
  kind: 'pivot',
  status: 'capturing',
  invoke: (order) => [aboutOrder(PaymentsCaptureRequestedV1, order, { orderId: order.id })],
  commit: (order) => [aboutOrder(InventoryCommitRequestedV1, order, { orderId: order.id })],
  resend: (order) => (order.paymentCapturedAt ? commitStockAndCapture.commit(order) : commitStockAndCapture.invoke(order)),
  compensate: (order, reason) => {
    if (!order.refundId) throw new Error(`order ${order.id} has no refund id`);
    const refund = aboutOrder(PaymentsRefundRequestedV1, order, { orderId: order.id, refundId: order.refundId, reason: clip(reason) });
    return [refund, aboutOrder(InventoryReleaseRequestedV1, order, { orderId: order.id, reason: clip(reason) })];
  },
  deadline: (_order, policy, now) => addMs(now, policy.captureTimeoutMs),
};
