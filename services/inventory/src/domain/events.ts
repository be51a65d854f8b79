import {
  InventoryReservationCommittedV1,
  InventoryReservationFailedV1,
  InventoryReservationReleasedV1,
  InventoryReservationSucceededV1,
  InventorySkuBackInStockV1,
  InventorySkuOutOfStockV1,
} from '@emporium/contracts';
import { createEnvelope, type Envelope } from '@emporium/messaging';
import type { FailureReason } from '../data-access/tables.js';
import type { Line, Shortage } from './lines.js';

/** The `source` of every inventory message. Reservation events have the order id as subject, SKU events the SKU. */
export const SOURCE = 'inventory';

const lines = (ls: readonly Line[]) => ls.map((l) => ({ sku: l.sku, quantity: l.quantity }));

export function reservationSucceeded(orderId: string, ls: readonly Line[], expiresAt: Date, time: Date): Envelope {
  return createEnvelope(
    InventoryReservationSucceededV1,
    { orderId, lines: lines(ls), expiresAt: expiresAt.toISOString() },
    { source: SOURCE, subject: orderId, time },
  );
}

export function reservationFailed(orderId: string, reason: FailureReason, shortages: readonly Shortage[], time: Date): Envelope {
  return createEnvelope(
    InventoryReservationFailedV1,
    { orderId, reason, shortages: shortages.map((s) => ({ sku: s.sku, requested: s.requested, available: s.available })) },
    { source: SOURCE, subject: orderId, time },
  );
}

export function reservationCommitted(orderId: string, ls: readonly Line[], time: Date): Envelope {
  return createEnvelope(InventoryReservationCommittedV1, { orderId, lines: lines(ls) }, { source: SOURCE, subject: orderId, time });
}

export function reservationReleased(orderId: string, reason: 'requested' | 'expired', ls: readonly Line[], time: Date): Envelope {
  return createEnvelope(InventoryReservationReleasedV1, { orderId, reason, lines: lines(ls) }, { source: SOURCE, subject: orderId, time });
}

/**
 * The SKU events a change causes: `out_of_stock` when a SKU's available units (over every
 * location) fall from above zero to zero, `back_in_stock` when they rise from zero — including a
 * SKU's first stock. A change that does not cross zero announces nothing.
 */
export function stockSignals(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
  time: Date,
): { envelopes: Envelope[]; stockouts: number } {
  const envelopes: Envelope[] = [];
  let stockouts = 0;
  const skus = [...new Set([...before.keys(), ...after.keys()])].sort();
  for (const sku of skus) {
    const was = before.get(sku) ?? 0;
    const now = after.get(sku) ?? 0;
    if (was > 0 && now <= 0) {
      envelopes.push(createEnvelope(InventorySkuOutOfStockV1, { sku }, { source: SOURCE, subject: sku, time }));
      stockouts++;
    } else if (was <= 0 && now > 0) {
      envelopes.push(createEnvelope(InventorySkuBackInStockV1, { sku, available: now }, { source: SOURCE, subject: sku, time }));
    }
  }
  return { envelopes, stockouts };
}
