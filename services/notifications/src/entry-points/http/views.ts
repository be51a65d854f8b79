import type { DeliveryView as DeliveryRecord, FeedEntryRecord } from '../../data-access/deliveries-repository.js';
import type { EndpointRecord } from '../../data-access/endpoints-repository.js';
import type { DeliveryView, EndpointView, FeedEntryView } from './schemas.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const feedEntryView = (e: FeedEntryRecord): FeedEntryView => ({
  id: e.id,
  kind: e.kind,
  orderId: e.orderId,
  title: e.title,
  body: e.body,
  createdAt: e.createdAt.toISOString(),
  readAt: iso(e.readAt),
});

export const endpointView = (e: EndpointRecord): EndpointView => ({
  id: e.id,
  partner: e.partner,
  url: e.url,
  source: e.source,
  createdAt: e.createdAt.toISOString(),
  createdBy: e.createdBy,
});

export const deliveryView = (d: DeliveryRecord): DeliveryView => ({
  ...d,
  nextAttemptAt: iso(d.nextAttemptAt),
  deliveredAt: iso(d.deliveredAt),
  parkedAt: iso(d.parkedAt),
  createdAt: d.createdAt.toISOString(),
  replays: d.replays.map((r) => ({ requestedBy: r.requestedBy, requestedAt: r.requestedAt.toISOString() })),
});
