import { randomUUID } from 'node:crypto';
import { OrdersOrderCancelledV1, OrdersOrderConfirmedV1, PaymentsRefundSucceededV1 } from '@emporium/contracts';
import { createEnvelope, type DataOf, type Envelope, type MessageDefinition } from '@emporium/messaging';
import { type RunningPartnerReceiver, startPartnerReceiver } from '@emporium/sandbox-partner-webhooks';
import { type RunningSmtpSink, startSmtpSink } from '@emporium/sandbox-smtp-sink';
import { bearerFor, startTestService, type TestCaller, type TestService, uniqueName, waitFor } from '@emporium/testing';
import { expect } from 'vitest';
import { type NotificationsConfig, type NotificationsDatabase, notificationsModule } from '../src/index.js';

export type Notifications = TestService<NotificationsDatabase, NotificationsConfig>;

/** The `Authorization: Bearer` header of a caller, with a token for this service (its name is the audience). */
export const as = (service: Notifications, caller: TestCaller): Promise<Record<string, string>> => bearerFor(service.name, caller);

export const ADMIN = { roles: ['admin'], sub: 'usr_admin_ada' } satisfies TestCaller;
export const SUPPORT = { roles: ['support'], sub: 'usr_support_sam', region: 'eu' } satisfies TestCaller;
export const asAdmin = (service: Notifications) => as(service, ADMIN);
export const asCustomer = (service: Notifications, customerId: string) => as(service, { customer: customerId });

/**
 * A retry schedule in milliseconds and a quick poll, so faults play out in a test's time. The send
 * timeouts stay long enough that a busy test machine is not mistaken for a fault (a timed-out send
 * is retried with the same id: one distinct message, but two arrivals); the fault tests set short ones.
 */
export const FAST: Record<string, string> = {
  NOTIFICATIONS_POLL_INTERVAL_MS: '25',
  NOTIFICATIONS_RETRY_SCHEDULE_MS: '40,80,160',
  NOTIFICATIONS_SMTP_TIMEOUT_MS: '5000',
  NOTIFICATIONS_WEBHOOK_TIMEOUT_MS: '5000',
  NOTIFICATIONS_LEASE_MS: '20000',
  NOTIFICATIONS_FROM: 'Emporium <orders@shop.emporium.test>',
};

/** Send timeouts short enough for a held answer to outlast them (the fault tests). */
export const SHORT_TIMEOUTS: Record<string, string> = {
  NOTIFICATIONS_SMTP_TIMEOUT_MS: '1000',
  NOTIFICATIONS_WEBHOOK_TIMEOUT_MS: '1000',
  NOTIFICATIONS_LEASE_MS: '4000',
};
/** Longer than SHORT_TIMEOUTS: the sender gives up before the held answer comes. */
export const HOLD_MS = 3_000;

/**
 * The service under test with its two third parties across the network: the SMTP sink and the
 * partner webhook receiver (real servers on free ports). The service gets a queue of its own
 * (a unique name), so test files running at once on one RabbitMQ never share messages.
 */
export interface Rig {
  service: Notifications;
  sink: RunningSmtpSink;
  receiver: RunningPartnerReceiver;
  close(): Promise<void>;
}

export async function startRig(env: Record<string, string> = {}): Promise<Rig> {
  const sink = await startSmtpSink();
  const receiver = await startPartnerReceiver();
  const service = await startTestService(
    { ...notificationsModule, name: uniqueName('notifications') },
    { SMTP_URL: sink.smtpUrl, ...FAST, ...env },
  );
  return {
    service,
    sink,
    receiver,
    close: async () => {
      await service.close();
      await Promise.all([sink.close(), receiver.close()]);
    },
  };
}

/** Another replica of the same service: same database and queue, its own process state. */
export function startReplica(of: Notifications, sink: RunningSmtpSink, env: Record<string, string> = {}): Promise<Notifications> {
  return startTestService(
    { ...notificationsModule, name: of.name },
    { SMTP_URL: sink.smtpUrl, ...FAST, DATABASE_URL: of.ctx.db.url, ...env },
    { transport: of.transport },
  );
}

// ---- playing the orders and payments services

export type Confirmed = DataOf<typeof OrdersOrderConfirmedV1>;
export type Cancelled = DataOf<typeof OrdersOrderCancelledV1>;
export type Refunded = DataOf<typeof PaymentsRefundSucceededV1>;

export function aConfirmedOrder(overrides: Partial<Confirmed> = {}): Confirmed {
  return {
    orderId: randomUUID(),
    customerId: uniqueName('cust'),
    email: `${uniqueName('buyer')}@customer.test`,
    total: { amount: 5997, currency: 'EUR' },
    lines: [
      { sku: 'LANT-S', quantity: 2, unitPrice: { amount: 1999, currency: 'EUR' }, name: 'Storm lantern' },
      { sku: 'WICK-10', quantity: 1, unitPrice: { amount: 1999, currency: 'EUR' }, name: 'Spare wicks' },
    ],
    ...overrides,
  };
}

export const aCancellation = (order: Confirmed, overrides: Partial<Cancelled> = {}): Cancelled => ({
  orderId: order.orderId,
  customerId: order.customerId,
  email: order.email,
  reason: 'The payment was declined by your bank',
  refunded: false,
  ...overrides,
});

export const aRefund = (order: Confirmed, overrides: Partial<Refunded> = {}): Refunded => ({
  orderId: order.orderId,
  refundId: randomUUID(),
  customerId: order.customerId,
  amount: { amount: 1999, currency: 'EUR' },
  ...overrides,
});

export const envelopeOf = <M extends MessageDefinition>(def: M, data: DataOf<M> & { orderId: string }, source = 'orders'): Envelope =>
  createEnvelope(def, data, { source, subject: data.orderId });

/** Publishes as the orders or payments service would (the broker of this run's mode). */
export async function publish(rig: Rig, ...envelopes: Envelope[]): Promise<void> {
  await rig.service.transport.publish(envelopes);
}

export const confirmed = (rig: Rig, order: Confirmed) => publish(rig, envelopeOf(OrdersOrderConfirmedV1, order));
export const cancelled = (rig: Rig, c: Cancelled) => publish(rig, envelopeOf(OrdersOrderCancelledV1, c));
export const refunded = (rig: Rig, r: Refunded) => publish(rig, envelopeOf(PaymentsRefundSucceededV1, r, 'payments'));

// ---- partners

export interface Partner {
  name: string;
  endpointId: string;
  secret: string;
  url: string;
}

/** Registers a partner endpoint with the service (admin API) and its secret with the receiver. */
export async function aPartner(rig: Rig, name = uniqueName('p').replace(/_/g, '-')): Promise<Partner> {
  const url = rig.receiver.hookUrl(name);
  const res = await rig.service.app.inject({
    method: 'POST',
    url: '/api/notifications/endpoints',
    headers: await asAdmin(rig.service),
    payload: { partner: name, url },
  });
  expect(res.statusCode, res.body).toBe(201);
  const { id, secret } = res.json() as { id: string; secret: string };
  const put = await fetch(`${rig.receiver.url}/partners/${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ secret }),
  });
  expect(put.status).toBe(200);
  return { name, endpointId: id, secret, url };
}

export async function removePartner(rig: Rig, partner: Partner): Promise<void> {
  const res = await rig.service.app.inject({
    method: 'DELETE',
    url: `/api/notifications/endpoints/${partner.endpointId}`,
    headers: await asAdmin(rig.service),
  });
  expect(res.statusCode).toBe(204);
}

export async function setPartnerFault(rig: Rig, partner: string, fault: Record<string, unknown> | null): Promise<void> {
  const res = await fetch(`${rig.receiver.url}/faults/${partner}`, {
    method: fault ? 'PUT' : 'DELETE',
    ...(fault ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(fault) } : {}),
  });
  expect(res.status).toBe(200);
}

export async function setSmtpFault(rig: Rig, fault: Record<string, unknown> | null): Promise<void> {
  const res = await fetch(`${rig.sink.url}/faults`, {
    method: fault ? 'PUT' : 'DELETE',
    ...(fault ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(fault) } : {}),
  });
  expect(res.status).toBe(200);
}

// ---- what the receivers saw (read over their HTTP sides)

export interface SinkMail {
  id: string;
  messageId: string | null;
  from: string;
  to: string[];
  subject: string;
  text: string;
}
export interface SinkList {
  items: SinkMail[];
  count: number;
  distinctMessageIds: number;
}

export async function mailsTo(rig: Rig, email: string): Promise<SinkList> {
  return (await (await fetch(`${rig.sink.url}/messages?to=${encodeURIComponent(email)}`)).json()) as SinkList;
}

export interface HookDelivery {
  seq: number;
  webhookId: string | null;
  headers: Record<string, string>;
  body: string;
  validSignature: boolean;
  accepted: boolean;
  answeredStatus: number;
}
export interface HookList {
  items: HookDelivery[];
  count: number;
  distinctIds: number;
}

export async function hooksOf(rig: Rig, partner: string): Promise<HookList> {
  return (await (await fetch(`${rig.receiver.url}/deliveries?partner=${partner}`)).json()) as HookList;
}

/** The accepted webhooks about one order, as the partner saw them. */
export async function hooksAbout(rig: Rig, partner: string, orderId: string): Promise<HookDelivery[]> {
  return (await hooksOf(rig, partner)).items.filter((d) => d.body.includes(orderId));
}

export interface FeedEntry {
  id: string;
  kind: string;
  orderId: string;
  title: string;
  body: string;
  createdAt: string;
  readAt: string | null;
}

export async function feedOf(rig: Rig, customerId: string, query = ''): Promise<{ items: FeedEntry[]; nextCursor: string | null }> {
  const res = await rig.service.app.inject({
    method: 'GET',
    url: `/api/notifications${query}`,
    headers: await asCustomer(rig.service, customerId),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

export interface DeliveryRow {
  id: string;
  orderId: string;
  kind: string;
  channel: 'email' | 'webhook' | 'feed';
  partner: string | null;
  recipient: string | null;
  status: string;
  attempts: number;
  lastError: string | null;
}

export async function deliveriesOf(rig: Rig, orderId: string): Promise<DeliveryRow[]> {
  const res = await rig.service.app.inject({
    method: 'GET',
    url: `/api/notifications/deliveries?orderId=${orderId}&limit=100`,
    headers: await asAdmin(rig.service),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items;
}

/** Waits until no delivery of the order is pending or waiting: the system is quiet about it. */
export async function settled(rig: Rig, orderId: string, count: number): Promise<DeliveryRow[]> {
  return waitFor(
    async () => {
      const rows = await deliveriesOf(rig, orderId);
      return rows.length === count && rows.every((r) => !['pending', 'awaiting_address'].includes(r.status)) ? rows : undefined;
    },
    { description: `the ${count} deliveries of order ${orderId} to settle` },
  );
}

/** The value of a counter or gauge sample on /metrics (0 when absent). */
export async function metric(rig: Rig, name: string, labels: Record<string, string>): Promise<number> {
  const text = (await rig.service.app.inject('/metrics')).body;
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (wanted.every((w) => line.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}
