import { InventoryReleaseRequestedV1, InventoryReserveRequestedV1 } from '@emporium/contracts';
import { addMs } from '../order-data.js';
import { aboutOrder, clip, type SagaStep } from './step.js';

/**
 * Step 1: inventory holds every line, all or nothing, until `expiresAt` (a hold that is never
 * committed expires by itself). Undo: release the hold — harmless when nothing is held.
 */
export const reserveStock: SagaStep = {
  id: 'reserveStock',
  kind: 'compensable',
  status: 'reserving',
  invoke: (order) => [
    aboutOrder(InventoryReserveRequestedV1, order, {
      orderId: order.id,
      lines: order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
      // Asked for once when the saga starts, and the same on every resend.
      expiresAt: (order.reservationExpiresAt as Date).toISOString(),
    }),
  ],
  compensate: (order, reason) => [aboutOrder(InventoryReleaseRequestedV1, order, { orderId: order.id, reason: clip(reason) })],
  deadline: (_order, policy, now) => addMs(now, policy.reserveTimeoutMs),
};
