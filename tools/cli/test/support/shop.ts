/**
 * Talking to a distributed test system the way its clients do: a customer through the gateway,
 * staff straight to a service, the payment provider's test oracle. Small on purpose, so fault
 * suites can share it: nothing here asserts, every helper answers what the system said.
 */
import { randomUUID } from 'node:crypto';
import { DEMO_CATALOG } from '@emporium/catalog';
import { waitFor } from '@emporium/testing';
import type { SystemTokens } from '../../src/tokens.js';
import type { TestSystem } from './distributed.js';

/** What the helpers need of a running system, distributed (TestSystem) or in one process. */
export interface Shop {
  gateway: string;
  urls: Record<string, string>;
  /** Access tokens signed with the system's issuer key (customers and staff). */
  tokens: SystemTokens;
}

/** A customer's access token for one service (the gateway passes it on; the service checks it). */
export const asCustomer = (system: Shop, customer: string, service = 'orders') => system.tokens.customer(service, customer);
/** An admin's access token for one service. */
export const asAdmin = (system: Shop, service: string) => system.tokens.staff(service, ['admin'], { sub: 'usr_test_admin' });

/** Every SKU of the demo catalog (each seeded with 25 units at start). Give each test its own. */
export const DEMO_SKUS: readonly string[] = DEMO_CATALOG.flatMap((p) => p.variants.map((v) => v.sku));

const JSON_TYPE = { 'content-type': 'application/json' } as const;

export interface OrderBody {
  lines: { sku: string; quantity: number }[];
  email: string;
  shippingAddress: { name: string; line1: string; city: string; postalCode: string; country: string };
  paymentMethod: string;
}

/** A checkout body with one line; `paymentMethod` defaults to a card that authorizes. */
export function orderBody(options: { sku: string; quantity?: number; paymentMethod?: string; email?: string }): OrderBody {
  return {
    lines: [{ sku: options.sku, quantity: options.quantity ?? 1 }],
    email: options.email ?? `buyer-${randomUUID().slice(0, 8)}@example.test`,
    shippingAddress: { name: 'Ada Lovelace', line1: '12 Analytical Row', city: 'London', postalCode: 'N1 7AA', country: 'GB' },
    paymentMethod: options.paymentMethod ?? 'pm_card_visa',
  };
}

export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  /** The body exactly as sent (replays are compared byte for byte). */
  text: string;
  /** The body parsed, or undefined when it is not JSON. */
  json: T;
}

async function answer<T>(res: Response): Promise<Answer<T>> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: json as T };
}

export interface Accepted {
  orderId: string;
  status: string;
  statusUrl: string;
}

/** One POST /api/orders through the gateway, as sent: no retry. A key is made when none is given. */
export async function placeOrder(
  system: Shop,
  customer: string,
  body: unknown,
  key: string = randomUUID(),
): Promise<Answer<Accepted> & { key: string }> {
  const res = await fetch(`${system.gateway}/api/orders`, {
    method: 'POST',
    headers: { ...JSON_TYPE, ...(await asCustomer(system, customer)), 'idempotency-key': key },
    body: JSON.stringify(body),
  });
  return { ...(await answer<Accepted>(res)), key };
}

/**
 * Places an order as a careful client does: on a 409 (the first attempt still runs) or a 5xx
 * (gateway busy or timed out), the same POST again with the same key until it is accepted.
 * Throws on any other answer, with the body in the message.
 */
export async function checkout(
  system: Shop,
  customer: string,
  body: unknown,
  key: string = randomUUID(),
): Promise<Accepted & { key: string }> {
  let busy = 'nothing yet';
  const last = await waitFor(
    async () => {
      const res = await placeOrder(system, customer, body, key);
      if (res.status !== 409 && res.status < 500) return res;
      busy = `${res.status} ${res.text.slice(0, 300)}`;
      return undefined;
    },
    { timeoutMs: 90_000, intervalMs: 250, description: `checkout ${key} to be answered other than 409 or 5xx` },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last answer: ${busy}`);
  });
  if (last.status !== 202) throw new Error(`checkout refused: ${last.status} ${last.text}`);
  return { ...last.json, key };
}

export interface TimelineEntry {
  step: string;
  status: string;
  at: string;
  detail: string;
  reason?: string;
}

export interface OrderView {
  id: string;
  status: string;
  lines: { sku: string; quantity: number; lineTotal: { amount: number; currency: string } }[];
  total: { amount: number; currency: string };
  refunded: boolean;
  cancelReason: string | null;
  timeline: TimelineEntry[];
}

/** GET /api/orders/:id as the customer. */
export async function getOrder(system: Shop, customer: string, orderId: string): Promise<OrderView> {
  const res = await fetch(`${system.gateway}/api/orders/${orderId}`, { headers: await asCustomer(system, customer) });
  if (res.status !== 200) throw new Error(`GET order ${orderId}: ${res.status} ${await res.text()}`);
  return (await res.json()) as OrderView;
}

/** The customer's orders, every page (newest first). */
export async function listOrders(system: Shop, customer: string): Promise<{ id: string; status: string }[]> {
  const items: { id: string; status: string }[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `?limit=100&cursor=${encodeURIComponent(cursor)}` : '?limit=100';
    const res = await fetch(`${system.gateway}/api/orders${query}`, { headers: await asCustomer(system, customer) });
    if (res.status !== 200) throw new Error(`GET orders: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { items: { id: string; status: string }[]; nextCursor: string | null };
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/** Waits until the order is in (one of) the given status(es); answers the order then. */
export async function waitForStatus(
  system: Shop,
  customer: string,
  orderId: string,
  status: string | readonly string[],
  timeoutMs = 90_000,
): Promise<OrderView> {
  const wanted = typeof status === 'string' ? [status] : status;
  let last: string | undefined;
  return waitFor(
    async () => {
      const order = await getOrder(system, customer, orderId);
      last = order.status;
      return wanted.includes(order.status) ? order : undefined;
    },
    { timeoutMs, intervalMs: 100, description: `order ${orderId} to be ${wanted.join(' or ')}` },
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}; it is ${last ?? 'unknown'}`);
  });
}

export interface LedgerEntry {
  at: string;
  kind: 'authorization' | 'capture' | 'void' | 'refund';
  payment_intent: string;
  amount: number;
  currency: string;
  order_id: string;
}

/** Every money movement the provider made (for one order, or all), oldest first. */
export async function providerLedger(system: Shop, orderId?: string): Promise<LedgerEntry[]> {
  const query = orderId ? `?order_id=${encodeURIComponent(orderId)}` : '';
  const res = await fetch(`${system.urls['payment-provider']}/v1/test/ledger${query}`);
  if (res.status !== 200) throw new Error(`provider ledger: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { data: LedgerEntry[] }).data;
}

/** The payment intents the provider holds for an order (its search by order id). */
export async function providerIntents(system: TestSystem, orderId: string): Promise<{ id: string; status: string; amount: number }[]> {
  const res = await fetch(`${system.urls['payment-provider']}/v1/payment_intents/search?order_id=${encodeURIComponent(orderId)}`, {
    headers: { authorization: `Bearer ${system.secrets.providerKey}` },
  });
  if (res.status !== 200) throw new Error(`provider search: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { data: { id: string; status: string; amount: number }[] }).data;
}

export interface StockLevels {
  onHand: number;
  reserved: number;
  available: number;
}

/** The stock of a SKU over every location, as staff read it from inventory. */
export async function stockOf(system: Shop, sku: string): Promise<StockLevels> {
  const res = await fetch(`${system.urls.inventory}/api/inventory/skus/${encodeURIComponent(sku)}`, {
    headers: await asAdmin(system, 'inventory'),
  });
  if (res.status !== 200) throw new Error(`stock of ${sku}: ${res.status} ${await res.text()}`);
  const { onHand, reserved, available } = (await res.json()) as StockLevels;
  return { onHand, reserved, available };
}

/** Sets the units counted at location `main` (not below what is reserved there). */
export async function setStock(system: Shop, sku: string, onHand: number): Promise<StockLevels> {
  const res = await fetch(`${system.urls.inventory}/api/inventory/skus/${encodeURIComponent(sku)}/locations/main`, {
    method: 'PUT',
    headers: { ...(await asAdmin(system, 'inventory')), ...JSON_TYPE },
    body: JSON.stringify({ onHand }),
  });
  if (res.status !== 200) throw new Error(`set stock of ${sku}: ${res.status} ${await res.text()}`);
  return stockOf(system, sku);
}

// ── the receivers: what a customer's inbox, the partner and the feed got ─────────────────────

/** Waits until the SMTP sink holds an e-mail to `email`; answers its counts (duplicates included). */
export async function waitForMail(system: Shop, email: string): Promise<{ count: number; distinctMessageIds: number }> {
  return waitFor(
    async () => {
      const res = await fetch(`${system.urls['smtp-sink']}/messages?to=${encodeURIComponent(email)}`);
      const body = (await res.json()) as { count: number; distinctMessageIds: number };
      return body.count >= 1 ? body : undefined;
    },
    { timeoutMs: 60_000, description: `an e-mail to ${email}` },
  );
}

export interface PartnerDelivery {
  webhookId: string | null;
  accepted: boolean;
  validSignature: boolean;
  body: string;
}

/** Waits until the demo partner accepted a webhook about the order; answers those deliveries. */
export async function waitForPartnerHooks(system: Shop, orderId: string): Promise<PartnerDelivery[]> {
  return waitFor(
    async () => {
      const res = await fetch(`${system.urls['partner-webhooks']}/deliveries?partner=demo-partner`);
      const { items } = (await res.json()) as { items: PartnerDelivery[] };
      const ours = items.filter((d) => d.accepted && d.body.includes(orderId));
      return ours.length >= 1 ? ours : undefined;
    },
    { timeoutMs: 60_000, description: `the partner webhook about ${orderId}` },
  );
}

/** Waits until the customer's in-app feed has an entry; answers the feed. */
export async function waitForFeed(system: Shop, customer: string): Promise<unknown[]> {
  return waitFor(
    async () => {
      const res = await fetch(`${system.gateway}/api/notifications`, { headers: await asCustomer(system, customer, 'notifications') });
      const body = (await res.json()) as { items: unknown[] };
      return body.items.length >= 1 ? body.items : undefined;
    },
    { timeoutMs: 60_000, description: `a feed entry for ${customer}` },
  );
}
