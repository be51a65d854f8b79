import type { Receipt } from '../../domain/record-receipt.js';
import type { Allocation } from '../../domain/lines.js';
import type { Reservation } from '../../domain/reservation.js';
import type { SkuLevels } from '../../domain/stock.js';
import type { ReceiptView, ReservationView, SkuLevelsView } from './schemas.js';

export const skuLevelsView = (s: SkuLevels): SkuLevelsView => ({
  sku: s.sku,
  onHand: s.onHand,
  reserved: s.reserved,
  available: s.available,
  locations: s.locations.map((l) => ({ location: l.location, onHand: l.onHand, reserved: l.reserved, available: l.onHand - l.reserved })),
});

export const receiptView = (r: { receipt: Receipt; replayed: boolean; levels: SkuLevels }): ReceiptView => ({
  sku: r.receipt.sku,
  reference: r.receipt.reference,
  location: r.receipt.location,
  quantity: r.receipt.quantity,
  reason: r.receipt.reason,
  createdAt: r.receipt.createdAt.toISOString(),
  replayed: r.replayed,
  levels: skuLevelsView(r.levels),
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const reservationView = ({
  reservation: r,
  allocations,
}: {
  reservation: Reservation;
  allocations: Allocation[];
}): ReservationView => ({
  orderId: r.orderId,
  status: r.status,
  lines: r.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
  allocations: allocations.map((a) => ({ sku: a.sku, location: a.location, quantity: a.quantity })),
  expiresAt: iso(r.expiresAt),
  failure: r.failureReason ? { reason: r.failureReason, shortages: r.shortages ?? [] } : null,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  committedAt: iso(r.committedAt),
  releasedAt: iso(r.releasedAt),
});
