import { OrdersOrderConfirmedV1 } from '@emporium/contracts';
import { aboutOrder, type SagaStep } from './step.js';

/** Step 4: announce the confirmed order (notifications e-mails the customer and tells partners). */
export const confirm: SagaStep = {
  id: 'confirm',
  kind: 'final',
  status: 'confirmed',
  invoke: (order) => [
    aboutOrder(OrdersOrderConfirmedV1, order, {
      orderId: order.id,
      customerId: order.customerId,
      email: order.email,
      total: order.total,
      lines: order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPrice: l.unitPrice, name: l.name })),
    }),
  ],
  deadline: () => null,
};
