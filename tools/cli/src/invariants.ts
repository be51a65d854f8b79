/**
 * The invariant checker of ../shared/RELIABILITY.md, run once the system is quiet (after a fault
 * run, or by an operator: `npm run check:invariants`).
 *
 * It looks at the system only from outside, as an auditor would: the provider sandbox's ledger is
 * the oracle for money, the receivers (SMTP sink, partner endpoint, the customer's feed) for
 * notifications, and the services' own APIs, metrics and parked queues for the rest. It is split
 * in two so that every check can be shown to fail: `readSystem` takes a snapshot over HTTP and the
 * broker, `findViolations` is a pure function of that snapshot and of what the caller expected.
 */
import type { Transport } from '@emporium/messaging';
import { createDb, databaseUrl, sql } from '@emporium/db';
import { mapLimit } from './map-limit.js';
import { operatorTransport } from './parked.js';
import { BROKER_DATABASE, databaseName, issuerOf, linksFor, newSecrets, SYSTEM } from './services.js';
import { type SystemTokens, systemTokens } from './tokens.js';

export const INVARIANTS = {
  I1: 'at most one capture per order, captured ≤ total (provider ledger)',
  I2: 'refunds ≤ captured per order (provider ledger)',
  I3: 'our payment records equal the provider’s per order',
  I4: 'stock conserved per SKU; nothing reserved when quiet; never negative',
  I5: 'every accepted order is terminal (confirmed or cancelled)',
  I6: 'confirmed ⇒ one capture, net charge = total, units committed; cancelled ⇒ net charge 0, units released',
  I7: 'every accepted order exists; no charge for an order nobody accepted',
  I8: 'no order the clients were not told about (one order per Idempotency-Key)',
  I9: 'one notification per channel for each confirmed or cancelled order, as the receiver sees it; no confirmation of a cancelled order',
  I10: 'no unsent outbox row, no undelivered notification, no unexplained parked message',
} as const;
export type InvariantId = keyof typeof INVARIANTS;

/** One counterexample: the invariant it breaks, what it concerns (an order, a SKU, a service), why. */
export interface Finding {
  invariant: InvariantId | 'READ';
  subject: string;
  detail: string;
}

export interface AcceptedOrder {
  orderId: string;
  customerId: string;
}

export interface Expectations {
  /** Every order a client was told was accepted (202). Their customers' other orders are reported (I8). */
  acceptedOrders: AcceptedOrder[];
  /** Units on hand per SKU when the run began; only these SKUs are checked for conservation. */
  startStock: Record<string, number>;
  /** Units received (or, negative, written off) per SKU during the run. */
  receipts?: Record<string, number>;
  /** Ids of messages a run made poison on purpose: parked, and rightly so. */
  injectedPoison?: string[];
  /** The partner endpoint whose deliveries count as the webhook channel; null when none is configured. */
  partner?: string | null;
}

export interface CheckOptions extends Expectations {
  /** Base URLs by part name, as `startDistributed` or `linksFor` give them. */
  urls: Record<string, string>;
  /** Access tokens for reading the services' admin and customer APIs (tokens.ts). */
  tokens: SystemTokens;
  /** The broker as an operator sees it, and the consuming queues (without prefix) whose parked messages count. */
  parked?: { transport: Transport; queues: string[] };
  /** Requests in flight at once while reading. */
  concurrency?: number;
}

// ---- the snapshot

export interface OrderSnapshot {
  id: string;
  customerId: string;
  status: string;
  total: { amount: number; currency: string };
  lines: { sku: string; quantity: number }[];
  refunded: boolean;
  lastStep: string | null;
}

export interface ProviderMovement {
  kind: 'authorization' | 'capture' | 'void' | 'refund';
  amount: number;
  currency: string;
  order_id: string | null;
  payment_intent: string;
}

export interface OurMovement {
  orderId: string;
  kind: 'authorization' | 'capture' | 'void' | 'refund';
  amount: number;
}

export type NotificationKind = 'order_confirmed' | 'order_cancelled' | 'payment_refunded';
export type Channel = 'email' | 'webhook' | 'feed';

/** One arrival at a receiver: the id it deduplicates on, the order and kind it is about. */
export interface Arrival {
  channel: Channel;
  id: string;
  orderId: string;
  kind: NotificationKind | 'unknown';
}

export interface Snapshot {
  /** The accepted orders that were found, and those of their customers that nobody reported. */
  orders: OrderSnapshot[];
  /** Accepted order ids the orders service does not know. */
  missingOrders: string[];
  providerLedger: ProviderMovement[];
  ourLedger: OurMovement[];
  stock: { sku: string; onHand: number; reserved: number; available: number }[];
  /** Reservation status per order id; null when inventory has none. */
  reservations: Record<string, string | null>;
  arrivals: Arrival[];
  /** Notification deliveries not delivered (pending, parked, awaiting an address). */
  undelivered: { id: string; orderId: string; kind: string; channel: string; status: string; lastError: string | null }[];
  /** Unsent outbox rows per service (null: not readable). */
  outbox: { service: string; pending: number }[];
  parked: { queue: string; id: string | null; type: string | null; subject: string | null; lastError: string | null }[];
  /** What could not be read: the check cannot pass then. */
  unreadable: { source: string; error: string }[];
}

/** Services with a database and an outbox relay (every one that publishes); their /metrics tell how many rows are unsent. */
export const OUTBOX_SERVICES = ['catalog', 'inventory', 'orders', 'payments', 'notifications'];

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    url: string,
  ) {
    super(`${new URL(url).pathname} answered ${status}`);
  }
}

async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) {
    await res.body?.cancel();
    throw new HttpStatusError(res.status, url);
  }
  return (await res.json()) as T;
}

async function pages<T>(first: string, fetchPage: (url: string) => Promise<{ items: T[]; nextCursor: string | null }>): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | null = null;
  do {
    const url: string = cursor ? `${first}&cursor=${encodeURIComponent(cursor)}` : first;
    const page = await fetchPage(url);
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const WEBHOOK_KINDS: Record<string, NotificationKind> = {
  'order.confirmed': 'order_confirmed',
  'order.cancelled': 'order_cancelled',
  'payment.refunded': 'payment_refunded',
};
/** An e-mail carries no structured kind: its subject says it (notification-content.ts words them). */
const emailKind = (subject: string): NotificationKind | 'unknown' =>
  /refund/i.test(subject)
    ? 'payment_refunded'
    : /cancel/i.test(subject)
      ? 'order_cancelled'
      : /confirm/i.test(subject)
        ? 'order_confirmed'
        : 'unknown';
const bareId = (messageId: string) => messageId.trim().replace(/^<|>$/g, '');

/** Reads everything the checks need. A part that cannot be read becomes an `unreadable` entry, not an exception. */
export async function readSystem(options: CheckOptions): Promise<Snapshot> {
  const { urls } = options;
  const limit = options.concurrency ?? 12;
  const admin = (service: string) => options.tokens.staff(service, ['admin'], { sub: 'usr_invariant_checker' });
  const unreadable: Snapshot['unreadable'] = [];
  const attempt = async <T>(source: string, read: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await read();
    } catch (error) {
      unreadable.push({ source, error: (error as Error).message });
      return fallback;
    }
  };
  const url = (part: string) => {
    const u = urls[part];
    if (!u) throw new Error(`no URL for ${part}`);
    return u;
  };

  type OrderView = {
    id: string;
    status: string;
    total: { amount: number; currency: string };
    lines: { sku: string; quantity: number }[];
    refunded: boolean;
    timeline: { step: string; status: string }[];
  };
  const toSnapshot = (customerId: string, o: OrderView): OrderSnapshot => {
    const last = o.timeline.at(-1);
    return {
      id: o.id.toLowerCase(),
      customerId,
      status: o.status,
      total: o.total,
      lines: o.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
      refunded: o.refunded,
      lastStep: last ? `${last.step} ${last.status}` : null,
    };
  };
  const readOrder = async (customerId: string, orderId: string) =>
    toSnapshot(
      customerId,
      await getJson<OrderView>(`${url('orders')}/api/orders/${orderId}`, await options.tokens.customer('orders', customerId)),
    );

  const missingOrders: string[] = [];
  const accepted = await mapLimit(options.acceptedOrders, limit, (a) =>
    attempt(
      `order ${a.orderId}`,
      () =>
        readOrder(a.customerId, a.orderId).catch((error: unknown) => {
          if (error instanceof HttpStatusError && error.status === 404) {
            missingOrders.push(a.orderId);
            return undefined;
          }
          throw error;
        }),
      undefined,
    ),
  );
  const orders = accepted.filter((o): o is OrderSnapshot => o !== undefined);

  // The customers' own lists show an order created by a request whose answer nobody kept.
  const known = new Set(options.acceptedOrders.map((a) => a.orderId));
  const customers = [...new Set(options.acceptedOrders.map((a) => a.customerId))];
  const listed = await mapLimit(customers, limit, (c) =>
    attempt(
      `orders of customer ${c}`,
      () =>
        pages(`${url('orders')}/api/orders?limit=100`, async (u) =>
          getJson<{ items: { id: string }[]; nextCursor: string | null }>(u, await options.tokens.customer('orders', c)),
        ),
      [],
    ).then((items) => items.map((i) => ({ customerId: c, orderId: i.id }))),
  );
  const strangers = listed.flat().filter((l) => !known.has(l.orderId));
  for (const s of await mapLimit(strangers, limit, (s) =>
    attempt(`order ${s.orderId}`, () => readOrder(s.customerId, s.orderId), undefined),
  ))
    if (s) orders.push(s);

  const providerLedger = await attempt(
    'provider ledger',
    async () => (await getJson<{ data: ProviderMovement[] }>(`${url('payment-provider')}/v1/test/ledger`)).data,
    [],
  );

  const ourLedger = await attempt('payments ledger', async () => {
    const all: OurMovement[] = [];
    let after: number | null = null;
    do {
      const page: { data: { id: number; orderId: string; kind: OurMovement['kind']; amount: { amount: number } }[]; next: number | null } =
        await getJson(
          `${url('payments')}/api/payments/ledger?limit=100${after === null ? '' : `&after=${after}`}`,
          await admin('payments'),
        );
      all.push(...page.data.map((e) => ({ orderId: e.orderId, kind: e.kind, amount: e.amount.amount })));
      after = page.next;
    } while (after !== null);
    return all;
  }, []);

  const skus = [...new Set([...Object.keys(options.startStock), ...orders.flatMap((o) => o.lines.map((l) => l.sku))])];
  const stock: Snapshot['stock'] = [];
  for (let i = 0; i < skus.length; i += 100) {
    const batch = skus.slice(i, i + 100);
    const query = batch.map((s) => `sku=${encodeURIComponent(s)}`).join('&');
    const found = await attempt(
      'inventory levels',
      async () =>
        (await getJson<{ items: Snapshot['stock'] }>(`${url('inventory')}/api/inventory/skus?${query}`, await admin('inventory'))).items,
      [],
    );
    stock.push(...found.map((s) => ({ sku: s.sku, onHand: s.onHand, reserved: s.reserved, available: s.available })));
  }

  const reservations: Record<string, string | null> = {};
  await mapLimit(orders, limit, (o) =>
    attempt(
      `reservation of ${o.id}`,
      async () => {
        reservations[o.id] = await getJson<{ status: string }>(
          `${url('inventory')}/api/inventory/reservations/${o.id}`,
          await admin('inventory'),
        ).then(
          (r) => r.status,
          (error: unknown) => {
            if (error instanceof HttpStatusError && error.status === 404) return null;
            throw error;
          },
        );
      },
      undefined,
    ),
  );

  const arrivals: Arrival[] = [];
  const mails = await attempt(
    'smtp sink',
    async () =>
      (await getJson<{ items: { messageId: string | null; subject: string; text: string }[] }>(`${url('smtp-sink')}/messages`)).items,
    [],
  );
  for (const [n, m] of mails.entries()) {
    const id = m.messageId === null ? `arrival ${n}` : bareId(m.messageId);
    for (const orderId of new Set(`${m.subject}\n${m.text}`.match(UUID) ?? []))
      arrivals.push({ channel: 'email', id, orderId: orderId.toLowerCase(), kind: emailKind(m.subject) });
  }

  const partner = options.partner === undefined ? 'demo-partner' : options.partner;
  if (partner !== null) {
    const hooks = await attempt(
      'partner webhooks sink',
      async () =>
        (
          await getJson<{ items: { webhookId: string | null; body: string; accepted: boolean; seq: number }[] }>(
            `${url('partner-webhooks')}/deliveries?partner=${encodeURIComponent(partner)}`,
          )
        ).items,
      [],
    );
    // What a partner processed: accepted deliveries (valid signature), deduplicated by webhook-id.
    for (const h of hooks.filter((h) => h.accepted)) {
      const body = JSON.parse(h.body) as { type?: string; data?: { orderId?: string } };
      if (!body.data?.orderId) continue;
      arrivals.push({
        channel: 'webhook',
        id: h.webhookId ?? `seq ${h.seq}`,
        orderId: body.data.orderId.toLowerCase(),
        kind: WEBHOOK_KINDS[body.type ?? ''] ?? 'unknown',
      });
    }
  }

  const feeds = await mapLimit(customers, limit, (c) =>
    attempt(
      `feed of customer ${c}`,
      () =>
        pages(`${url('notifications')}/api/notifications?limit=100`, async (u) =>
          getJson<{ items: { id: string; kind: NotificationKind; orderId: string }[]; nextCursor: string | null }>(
            u,
            await options.tokens.customer('notifications', c),
          ),
        ),
      [],
    ),
  );
  for (const e of feeds.flat()) arrivals.push({ channel: 'feed', id: e.id, orderId: e.orderId.toLowerCase(), kind: e.kind });

  const undelivered: Snapshot['undelivered'] = [];
  for (const status of ['pending', 'parked', 'awaiting_address']) {
    const items = await attempt(
      `notification deliveries (${status})`,
      async () =>
        (
          await getJson<{ items: Snapshot['undelivered'] }>(
            `${url('notifications')}/api/notifications/deliveries?status=${status}&limit=100`,
            await admin('notifications'),
          )
        ).items,
      [],
    );
    undelivered.push(
      ...items.map((d) => ({ id: d.id, orderId: d.orderId, kind: d.kind, channel: d.channel, status: d.status, lastError: d.lastError })),
    );
  }

  const outbox: Snapshot['outbox'] = [];
  for (const service of OUTBOX_SERVICES.filter((s) => urls[s])) {
    await attempt(
      `metrics of ${service}`,
      async () => {
        const res = await fetch(`${url(service)}/metrics`, { signal: AbortSignal.timeout(10_000) });
        if (!res.ok) throw new HttpStatusError(res.status, `${url(service)}/metrics`);
        const line = /^emporium_outbox_pending_messages(?:\{[^}]*\})? (\S+)$/m.exec(await res.text());
        if (!line) throw new Error('its /metrics has no emporium_outbox_pending_messages');
        outbox.push({ service, pending: Number(line[1]) });
      },
      undefined,
    );
  }

  const parked: Snapshot['parked'] = [];
  if (options.parked) {
    for (const queue of options.parked.queues) {
      const messages = await attempt(`parked messages of ${queue}`, () => options.parked!.transport.listParked(queue, 1000), []);
      parked.push(
        ...messages.map((m) => ({
          queue,
          id: m.envelope?.id ?? null,
          type: m.envelope?.type ?? null,
          subject: m.envelope?.subject ?? null,
          lastError: m.lastError ?? null,
        })),
      );
    }
  }

  return { orders, missingOrders, providerLedger, ourLedger, stock, reservations, arrivals, undelivered, outbox, parked, unreadable };
}

// ---- the checks (pure)

interface Money {
  captures: number;
  captured: number;
  refunded: number;
}

function moneyByOrder(movements: { orderId: string | null; kind: string; amount: number }[]): Map<string, Money> {
  const by = new Map<string, Money>();
  for (const m of movements) {
    if (!m.orderId) continue;
    const id = m.orderId.toLowerCase();
    const money = by.get(id) ?? { captures: 0, captured: 0, refunded: 0 };
    if (m.kind === 'capture') {
      money.captures += 1;
      money.captured += m.amount;
    } else if (m.kind === 'refund') money.refunded += m.amount;
    by.set(id, money);
  }
  return by;
}

const NO_MONEY: Money = { captures: 0, captured: 0, refunded: 0 };
const TERMINAL = new Set(['confirmed', 'cancelled']);
const RELEASED = new Set(['released', 'expired', 'failed']);
const CHANNELS: Channel[] = ['email', 'webhook', 'feed'];

interface Facts {
  snapshot: Snapshot;
  expected: Expectations;
  provider: Map<string, Money>;
  ours: Map<string, Money>;
  orders: Map<string, OrderSnapshot>;
}

type Check = (facts: Facts) => Finding[];

const orderSubject = (id: string) => `order ${id}`;

const unreadable: Check = ({ snapshot }) => snapshot.unreadable.map((u) => ({ invariant: 'READ', subject: u.source, detail: u.error }));

const atMostOneCapture: Check = ({ provider, orders }) =>
  [...provider].flatMap(([id, m]) => {
    const total = orders.get(id)?.total.amount;
    const out: Finding[] = [];
    if (m.captures > 1) out.push({ invariant: 'I1', subject: orderSubject(id), detail: `${m.captures} captures at the provider` });
    if (total !== undefined && m.captured > total)
      out.push({ invariant: 'I1', subject: orderSubject(id), detail: `captured ${m.captured}, more than the order total ${total}` });
    return out;
  });

const refundBound: Check = ({ provider }) =>
  [...provider]
    .filter(([, m]) => m.refunded > m.captured)
    .map(([id, m]) => ({ invariant: 'I2', subject: orderSubject(id), detail: `refunded ${m.refunded} of ${m.captured} captured` }));

const booksAgree: Check = ({ provider, ours }) =>
  [...new Set([...provider.keys(), ...ours.keys()])].flatMap((id) => {
    const p = provider.get(id) ?? NO_MONEY;
    const o = ours.get(id) ?? NO_MONEY;
    if (p.captured === o.captured && p.refunded === o.refunded && p.captures === o.captures) return [];
    return [
      {
        invariant: 'I3' as const,
        subject: orderSubject(id),
        detail: `provider: ${p.captures} capture(s) of ${p.captured}, refunded ${p.refunded}; ours: ${o.captures} capture(s) of ${o.captured}, refunded ${o.refunded}`,
      },
    ];
  });

const stockConserved: Check = ({ snapshot, expected, orders }) => {
  const sold = new Map<string, number>();
  for (const o of orders.values())
    if (o.status === 'confirmed') for (const l of o.lines) sold.set(l.sku, (sold.get(l.sku) ?? 0) + l.quantity);
  const levels = new Map(snapshot.stock.map((s) => [s.sku, s]));
  const out: Finding[] = [];
  for (const [sku, start] of Object.entries(expected.startStock)) {
    const level = levels.get(sku);
    if (!level) {
      out.push({ invariant: 'I4', subject: `sku ${sku}`, detail: 'the inventory keeps no stock for it' });
      continue;
    }
    const received = expected.receipts?.[sku] ?? 0;
    const want = start - (sold.get(sku) ?? 0) + received;
    if (level.onHand !== want)
      out.push({
        invariant: 'I4',
        subject: `sku ${sku}`,
        detail: `on hand ${level.onHand}, expected ${want} (start ${start} − ${sold.get(sku) ?? 0} sold + ${received} received)`,
      });
  }
  for (const s of snapshot.stock) {
    if (s.reserved !== 0) out.push({ invariant: 'I4', subject: `sku ${s.sku}`, detail: `${s.reserved} units still reserved` });
    if (s.onHand < 0 || s.available < 0)
      out.push({ invariant: 'I4', subject: `sku ${s.sku}`, detail: `negative: on hand ${s.onHand}, available ${s.available}` });
  }
  return out;
};

const terminal: Check = ({ orders }) =>
  [...orders.values()]
    .filter((o) => !TERMINAL.has(o.status))
    .map((o) => ({ invariant: 'I5', subject: orderSubject(o.id), detail: `still ${o.status} (last: ${o.lastStep ?? 'nothing'})` }));

const stateMoneyStock: Check = ({ provider, orders, snapshot }) =>
  [...orders.values()].flatMap((o) => {
    const m = provider.get(o.id) ?? NO_MONEY;
    const net = m.captured - m.refunded;
    const reservation = snapshot.reservations[o.id];
    const out: Finding[] = [];
    const finding = (detail: string) => out.push({ invariant: 'I6', subject: orderSubject(o.id), detail });
    if (o.status === 'confirmed') {
      if (m.captures !== 1) finding(`confirmed with ${m.captures} captures`);
      if (net !== o.total.amount) finding(`confirmed, net charge ${net} ≠ total ${o.total.amount}`);
      if (reservation !== undefined && reservation !== 'committed')
        finding(`confirmed, but its reservation is ${reservation ?? 'missing'}`);
    } else if (o.status === 'cancelled') {
      if (net !== 0) finding(`cancelled, net charge ${net}`);
      if (reservation !== undefined && reservation !== null && !RELEASED.has(reservation))
        finding(`cancelled, but its reservation is ${reservation}`);
    }
    return out;
  });

const nothingLost: Check = ({ snapshot, provider, orders }) => [
  ...snapshot.missingOrders.map((id) => ({ invariant: 'I7' as const, subject: orderSubject(id), detail: 'accepted (202), but not found' })),
  ...[...provider]
    .filter(([id, m]) => !orders.has(id) && m.captured - m.refunded !== 0)
    .map(([id, m]) => ({
      invariant: 'I7' as const,
      subject: orderSubject(id),
      detail: `the provider holds a net charge of ${m.captured - m.refunded} for an order nobody was told of`,
    })),
];

const noStrangers: Check = ({ expected, orders }) => {
  const accepted = new Set(expected.acceptedOrders.map((a) => a.orderId.toLowerCase()));
  return [...orders.values()]
    .filter((o) => !accepted.has(o.id))
    .map((o) => ({
      invariant: 'I8',
      subject: orderSubject(o.id),
      detail: `customer ${o.customerId} has an order no client was told of (${o.status})`,
    }));
};

const oneNotification: Check = ({ snapshot, orders, expected }) => {
  const seen = new Map<string, Set<string>>();
  for (const a of snapshot.arrivals) {
    const key = `${a.orderId}|${a.channel}|${a.kind}`;
    const ids = seen.get(key) ?? new Set<string>();
    ids.add(a.id);
    seen.set(key, ids);
  }
  const count = (orderId: string, channel: Channel, kind: NotificationKind) => seen.get(`${orderId}|${channel}|${kind}`)?.size ?? 0;
  const channels = CHANNELS.filter((c) => c !== 'webhook' || expected.partner !== null);
  const out: Finding[] = [];
  for (const o of orders.values()) {
    if (!TERMINAL.has(o.status)) continue;
    const wanted: NotificationKind = o.status === 'confirmed' ? 'order_confirmed' : 'order_cancelled';
    for (const channel of channels) {
      const n = count(o.id, channel, wanted);
      if (n !== 1) out.push({ invariant: 'I9', subject: orderSubject(o.id), detail: `${o.status}: ${n} ${wanted} on ${channel}` });
      // A cancelled order was confirmed only if it was charged and then refunded.
      const confirmations = count(o.id, channel, 'order_confirmed');
      if (o.status === 'cancelled' && confirmations > (o.refunded ? 1 : 0))
        out.push({ invariant: 'I9', subject: orderSubject(o.id), detail: `cancelled, yet ${confirmations} order_confirmed on ${channel}` });
      if (o.status === 'confirmed' && count(o.id, channel, 'order_cancelled') > 0)
        out.push({ invariant: 'I9', subject: orderSubject(o.id), detail: `confirmed, yet an order_cancelled on ${channel}` });
    }
  }
  for (const a of snapshot.arrivals.filter((a) => a.kind === 'unknown' && orders.has(a.orderId)))
    out.push({ invariant: 'I9', subject: orderSubject(a.orderId), detail: `a ${a.channel} message (${a.id}) of no known kind` });
  return out;
};

const noEventLost: Check = ({ snapshot, expected }) => {
  const poison = new Set(expected.injectedPoison ?? []);
  return [
    ...snapshot.outbox
      .filter((o) => o.pending !== 0)
      .map((o) => ({ invariant: 'I10' as const, subject: `service ${o.service}`, detail: `${o.pending} outbox rows not sent` })),
    ...snapshot.undelivered.map((d) => ({
      invariant: 'I10' as const,
      subject: orderSubject(d.orderId),
      detail: `${d.kind} on ${d.channel} ${d.status}${d.lastError ? ` (${d.lastError})` : ''}`,
    })),
    ...snapshot.parked
      .filter((p) => p.id === null || !poison.has(p.id))
      .map((p) => ({
        invariant: 'I10' as const,
        subject: `queue ${p.queue}`,
        detail: `parked ${p.type ?? 'unparsable message'} ${p.id ?? ''} about ${p.subject ?? '?'}: ${p.lastError ?? 'no error recorded'}`,
      })),
  ];
};

/** The checks, in the order of RELIABILITY.md. */
const CHECKS: Check[] = [
  unreadable,
  atMostOneCapture,
  refundBound,
  booksAgree,
  stockConserved,
  terminal,
  stateMoneyStock,
  nothingLost,
  noStrangers,
  oneNotification,
  noEventLost,
];

/** Every violation the snapshot shows, given what the caller expected. Empty when the system kept its promises. */
export function findViolations(snapshot: Snapshot, expected: Expectations): Finding[] {
  const facts: Facts = {
    snapshot,
    expected,
    provider: moneyByOrder(snapshot.providerLedger.map((m) => ({ orderId: m.order_id, kind: m.kind, amount: m.amount }))),
    ours: moneyByOrder(snapshot.ourLedger),
    orders: new Map(snapshot.orders.map((o) => [o.id.toLowerCase(), o])),
  };
  return CHECKS.flatMap((check) => check(facts));
}

/** Reads the system and checks it: the list of findings, empty when every invariant holds. */
export async function checkInvariants(options: CheckOptions): Promise<Finding[]> {
  return findViolations(await readSystem(options), options);
}

/** One line per invariant, pass or FAIL, with up to `limit` counterexamples under each failure. */
export function formatFindings(findings: Finding[], limit = 10): string {
  const lines: string[] = [];
  const ids: (InvariantId | 'READ')[] = [
    ...(findings.some((f) => f.invariant === 'READ') ? (['READ'] as const) : []),
    ...(Object.keys(INVARIANTS) as InvariantId[]),
  ];
  for (const id of ids) {
    const mine = findings.filter((f) => f.invariant === id);
    const title = id === 'READ' ? 'the system could be read' : INVARIANTS[id];
    lines.push(`${mine.length === 0 ? 'pass' : 'FAIL'}  ${id.padEnd(4)} ${title}${mine.length ? ` (${mine.length})` : ''}`);
    for (const f of mine.slice(0, limit)) lines.push(`        ${f.subject}: ${f.detail}`);
    if (mine.length > limit) lines.push(`        … and ${mine.length - limit} more`);
  }
  return lines.join('\n');
}

// ---- what to expect when nobody kept count (the operator's command)

/**
 * For a system whose clients kept no list: every order the orders database holds counts as
 * accepted, and the stock the run started from is what the inventory journal shows was counted
 * (adjustments) and received (receipts). The orders' confirmed units are then checked against it.
 * Both databases are only read.
 */
export async function expectationsFromDatabases(databaseUrlOf: (service: string) => string): Promise<Expectations> {
  const orders = createDb<any>(databaseUrlOf('orders'), { max: 1, applicationName: 'emporium-invariants' });
  const inventory = createDb<any>(databaseUrlOf('inventory'), { max: 1, applicationName: 'emporium-invariants' });
  try {
    const accepted = await sql<{ id: string; customer_id: string }>`SELECT id::text AS id, customer_id FROM orders`.execute(orders);
    const journal = await sql<{ sku: string; kind: string; units: number }>`
      SELECT sku, kind, sum(on_hand_delta)::int AS units FROM stock_movements
      WHERE kind IN ('adjustment', 'receipt') GROUP BY sku, kind`.execute(inventory);
    const startStock: Record<string, number> = {};
    const receipts: Record<string, number> = {};
    for (const row of journal.rows) {
      if (row.kind === 'receipt') receipts[row.sku] = row.units;
      startStock[row.sku] = (startStock[row.sku] ?? 0) + (row.kind === 'receipt' ? 0 : row.units);
    }
    return { acceptedOrders: accepted.rows.map((r) => ({ orderId: r.id, customerId: r.customer_id })), startStock, receipts };
  } finally {
    await Promise.allSettled([orders.destroy(), inventory.destroy()]);
  }
}

/**
 * `emporium invariants`: checks a running system (found by its port base) and prints each
 * invariant with pass or FAIL and its counterexamples; 1 when any is violated. With AMQP_URL the
 * system is the distributed one (databases on DATABASE_SERVER_URL, queues with AMQP_QUEUE_PREFIX),
 * otherwise the embedded one (its PostgreSQL on pgPort, its broker database).
 */
export async function invariantsCommand(
  env: Record<string, string | undefined>,
  system: { portBase: number; pgPort: number },
): Promise<number> {
  const serverUrl = env.AMQP_URL
    ? (env.DATABASE_SERVER_URL ?? 'postgres://root@127.0.0.1:5432/postgres')
    : `postgres://postgres:emporium@127.0.0.1:${system.pgPort}/postgres`;
  const links = linksFor(system.portBase, newSecrets());
  const urls = Object.fromEntries(SYSTEM.map((e) => [e.module.name, links.url(e.module.name)]));
  // The checker reads admin and customer APIs: it signs its own short tokens with the issuer key the
  // system runs with — an operator tool, given the root secret on purpose, never a client.
  const jwks = env.IDENTITY_OIDC_JWKS;
  if (!jwks) {
    process.stderr.write('invariants: IDENTITY_OIDC_JWKS must be the signing key set the running system was started with\n');
    return 2;
  }
  const tokens = systemTokens({ issuer: issuerOf(links), jwks, lifetimeSec: 600 });
  const transport = operatorTransport(env, databaseUrl(serverUrl, BROKER_DATABASE), 'emporium-invariants');
  try {
    const expected = await expectationsFromDatabases((service) => databaseUrl(serverUrl, databaseName(service)));
    const queues = SYSTEM.filter((e) => e.module.consumes).map((e) => e.module.name);
    const findings = await checkInvariants({ ...expected, urls, tokens, parked: { transport, queues } });
    process.stdout.write(`${expected.acceptedOrders.length} orders checked\n${formatFindings(findings)}\n`);
    return findings.length === 0 ? 0 : 1;
  } finally {
    await transport.close();
  }
}
