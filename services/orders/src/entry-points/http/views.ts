import { orderUrl } from '../../domain/place-order.js';
import type { OrderData } from '../../domain/order-data.js';
import type { TimelineEntry } from '../../domain/timeline.js';
import type { OrderSummary, OrderView } from './schemas.js';

export const orderView = (o: OrderData, timeline: TimelineEntry[]): OrderView => ({
  id: o.id,
  status: o.status,
  lines: o.lines.map((l) => ({
    sku: l.sku,
    name: l.name,
    quantity: l.quantity,
    unitPrice: l.unitPrice,
    lineTotal: { amount: l.unitPrice.amount * l.quantity, currency: l.unitPrice.currency },
  })),
  total: o.total,
  email: o.email,
  shippingAddress: o.shippingAddress,
  refunded: o.refundedAt !== null,
  cancelReason: o.cancelReason,
  createdAt: o.createdAt.toISOString(),
  updatedAt: o.updatedAt.toISOString(),
  timeline: timeline.map((e) => ({
    step: e.step,
    status: e.status,
    at: e.at.toISOString(),
    detail: e.detail,
    ...(e.reason ? { reason: e.reason } : {}),
  })),
});

export const orderSummary = (o: OrderData): OrderSummary => ({
  id: o.id,
  status: o.status,
  total: o.total,
  items: o.lines.reduce((n, l) => n + l.quantity, 0),
  createdAt: o.createdAt.toISOString(),
  statusUrl: orderUrl(o.id),
});
