import {
  InventoryReservationCommittedV1,
  InventoryReservationFailedV1,
  InventoryReservationReleasedV1,
  InventoryReservationSucceededV1,
  PaymentsAuthorizationFailedV1,
  PaymentsAuthorizationSucceededV1,
  PaymentsCaptureFailedV1,
  PaymentsCaptureSucceededV1,
  PaymentsPaymentVoidedV1,
  PaymentsRefundFailedV1,
  PaymentsRefundSucceededV1,
} from '@emporium/contracts';
import type { DataOf, InboxHandler, MessageDefinition } from '@emporium/messaging';
import type { OrdersDatabase } from '../../data-access/tables.js';
import { applyReply } from '../../domain/apply-reply.js';
import type { OrdersDeps } from '../../domain/deps.js';
import type { Order, Outcome } from '../../domain/order.js';

/** The replies of inventory and payments that drive the checkout saga. */
export const REPLY_DEFINITIONS: MessageDefinition[] = [
  InventoryReservationSucceededV1,
  InventoryReservationFailedV1,
  InventoryReservationCommittedV1,
  InventoryReservationReleasedV1,
  PaymentsAuthorizationSucceededV1,
  PaymentsAuthorizationFailedV1,
  PaymentsCaptureSucceededV1,
  PaymentsCaptureFailedV1,
  PaymentsPaymentVoidedV1,
  PaymentsRefundSucceededV1,
  PaymentsRefundFailedV1,
];

type Handlers = Record<string, InboxHandler<OrdersDatabase>>;

/**
 * Thin consumers: each reply goes to the order it names (its row locked) and to the state
 * machine's method for it, in the inbox transaction. `deps` is read when a reply arrives (the
 * runtime builds the app, and with it the dependencies, before it starts consuming).
 */
export function replyHandlers(deps: () => OrdersDeps): Handlers {
  const on = <M extends MessageDefinition>(def: M, decide: (order: Order, reply: DataOf<M>) => Outcome): Handlers => ({
    [def.type]: async (trx, envelope) => {
      const reply = envelope.data as DataOf<M> & { orderId: string };
      await applyReply(deps(), trx, { type: def.type, orderId: reply.orderId }, (order) => decide(order, reply));
    },
  });
  return {
    ...on(InventoryReservationSucceededV1, (order, reply) => order.stockReserved(reply)),
    ...on(InventoryReservationFailedV1, (order, reply) => order.stockReservationFailed(reply)),
    ...on(InventoryReservationCommittedV1, (order) => order.stockCommitted()),
    ...on(InventoryReservationReleasedV1, (order, reply) => order.stockReleased(reply)),
    ...on(PaymentsAuthorizationSucceededV1, (order, reply) => order.paymentAuthorized(reply)),
    ...on(PaymentsAuthorizationFailedV1, (order, reply) => order.paymentAuthorizationFailed(reply)),
    ...on(PaymentsCaptureSucceededV1, (order) => order.paymentCaptured()),
    ...on(PaymentsCaptureFailedV1, (order, reply) => order.paymentCaptureFailed(reply)),
    ...on(PaymentsPaymentVoidedV1, (order) => order.paymentVoided()),
    ...on(PaymentsRefundSucceededV1, (order, reply) => order.refundSucceeded(reply)),
    ...on(PaymentsRefundFailedV1, (order, reply) => order.refundFailed(reply)),
  };
}
