import { randomUUID } from 'node:crypto';
import { InventoryCommitRequestedV1, InventoryReleaseRequestedV1, InventoryReserveRequestedV1 } from '@emporium/contracts';
import { sql } from '@emporium/db';
import { createEnvelope, type Envelope, type MessageDefinition } from '@emporium/messaging';
import { bearerFor, startTestService, type TestCaller, type TestService, uniqueName, waitFor } from '@emporium/testing';
import { expect } from 'vitest';
import { createInventoryModule, type InventoryConfig, type InventoryDatabase } from '../src/index.js';

export type Inventory = TestService<InventoryDatabase, InventoryConfig>;

/**
 * A fresh inventory on a database of its own, with the run's transport. Its queue is named after
 * the service, so each test service gets a name of its own: on a shared RabbitMQ, services of
 * other test files would otherwise take its messages. A replica is started with `replicaOf`: the
 * same name (queue), database and transport.
 */
export const startInventory = (env: Record<string, string> = {}, options: { replicaOf?: Inventory } = {}): Promise<Inventory> => {
  const { replicaOf } = options;
  const module = { ...createInventoryModule(), name: replicaOf?.name ?? uniqueName('inventory') };
  return startTestService(
    module,
    { ...env, ...(replicaOf ? { DATABASE_URL: replicaOf.ctx.db.url } : {}) },
    replicaOf ? { transport: replicaOf.transport } : {},
  );
};

export type Headers = Record<string, string>;

/** `Authorization: Bearer` headers of the callers the tests play (real tokens of the test issuer). */
export interface Callers {
  merchandiser: Headers;
  admin: Headers;
  support: Headers;
  customer: Headers;
  suspendedMerchandiser: Headers;
  suspendedSupport: Headers;
}

const CALLERS: Record<keyof Callers, TestCaller> = {
  merchandiser: { roles: ['merchandiser'] },
  admin: { roles: ['admin'] },
  support: { roles: ['support'], region: 'eu' },
  customer: { customer: 'cust-1' },
  suspendedMerchandiser: { roles: ['merchandiser'], sub: 'usr_suspended_merch', suspended: true },
  suspendedSupport: { roles: ['support'], sub: 'usr_suspended_support', region: 'eu', suspended: true },
};

/** Tokens minted per inventory (its name is their audience) and caller; valid for an hour, longer than any test file. */
const minted = new Map<string, Promise<Headers>>();
export function bearerAs(inv: Inventory, caller: keyof Callers): Promise<Headers> {
  const key = `${inv.name} ${caller}`;
  let headers = minted.get(key);
  if (!headers) {
    headers = bearerFor(inv.name, CALLERS[caller]);
    minted.set(key, headers);
  }
  return headers;
}

/** Every caller's headers for one running inventory. */
export async function callersOf(inv: Inventory): Promise<Callers> {
  const names = Object.keys(CALLERS) as (keyof Callers)[];
  const headers = await Promise.all(names.map((name) => bearerAs(inv, name)));
  return Object.fromEntries(names.map((name, i) => [name, headers[i]])) as unknown as Callers;
}

/** A SKU no other test uses. */
export const aSku = (prefix = 'SKU') => `${prefix}-${uniqueName('t').slice(2).toUpperCase()}`;
export const anOrder = () => randomUUID();
export const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

export interface Line {
  sku: string;
  quantity: number;
}

// ── playing the orders service: commands in, answers out ────────────────────────────────

/**
 * Publishes a command as the orders service would and waits until the inventory has handled it
 * (its inbox row committed with its effects). Returns the command's envelope.
 */
export async function send<M extends MessageDefinition>(inv: Inventory, def: M, data: any): Promise<Envelope> {
  const envelope = createEnvelope(def, data, { source: 'orders', subject: data.orderId });
  await inv.transport.publish([envelope]);
  await handled(inv, envelope.id);
  return envelope;
}

export async function handled(inv: Inventory, messageId: string, timeoutMs = 15_000): Promise<void> {
  await waitFor(async () => (await sql`SELECT 1 FROM inbox WHERE message_id = ${messageId}`.execute(inv.ctx.db)).rows.length > 0, {
    description: `the inventory to handle message ${messageId}`,
    timeoutMs,
  });
}

/** Sends inventory.reserve.requested.v1 and returns the answer committed for it. */
export async function reserve(inv: Inventory, orderId: string, lines: Line[], expiresAt = inMinutes(10)): Promise<Envelope<any>> {
  await send(inv, InventoryReserveRequestedV1, { orderId, lines, expiresAt });
  return lastAnswer(inv, orderId);
}

export async function commit(inv: Inventory, orderId: string): Promise<Envelope<any>> {
  await send(inv, InventoryCommitRequestedV1, { orderId });
  return lastAnswer(inv, orderId);
}

export async function release(inv: Inventory, orderId: string, reason = 'the customer cancelled'): Promise<Envelope<any>> {
  await send(inv, InventoryReleaseRequestedV1, { orderId, reason });
  return lastAnswer(inv, orderId);
}

/** The envelopes the inventory committed to its outbox about a subject (an order id or a SKU), oldest first. */
export async function outboxOf(inv: Inventory, subject: string, type?: string): Promise<Envelope<any>[]> {
  const rows = await sql<{ envelope: Envelope<any> }>`
    SELECT envelope FROM outbox
    WHERE envelope->>'subject' = ${subject} AND (${type ?? null}::text IS NULL OR type = ${type ?? null})
    ORDER BY seq`.execute(inv.ctx.db);
  return rows.rows.map((r) => r.envelope);
}

/** The newest message about the order. */
export async function lastAnswer(inv: Inventory, orderId: string): Promise<Envelope<any>> {
  const all = await outboxOf(inv, orderId);
  expect(all.length, `an answer about ${orderId}`).toBeGreaterThan(0);
  return all.at(-1)!;
}

/** Every message the inventory publishes, as a consumer bound to `inventory.#` receives it (through the relay and broker). */
export async function observe(inv: Inventory): Promise<Envelope<any>[]> {
  const received: Envelope<any>[] = [];
  const spec = { name: uniqueName('observer'), bindings: ['inventory.#'] };
  await inv.transport.declare([spec]);
  await inv.transport.consume(spec, async (envelope) => {
    received.push(envelope);
  });
  return received;
}

// ── the admin API ────────────────────────────────────────────────────────────────────────

export async function putStock(inv: Inventory, sku: string, location: string, onHand: number, headers?: Headers) {
  return inv.app.inject({
    method: 'PUT',
    url: `/api/inventory/skus/${sku}/locations/${location}`,
    headers: headers ?? (await bearerAs(inv, 'merchandiser')),
    payload: { onHand },
  });
}

/** Sets stock and insists that it worked. */
export async function stock(inv: Inventory, sku: string, byLocation: Record<string, number>): Promise<void> {
  for (const [location, onHand] of Object.entries(byLocation)) {
    const res = await putStock(inv, sku, location, onHand);
    expect(res.statusCode, res.body).toBe(200);
  }
}

export async function postReceipt(inv: Inventory, sku: string, payload: unknown, headers?: Headers) {
  return inv.app.inject({
    method: 'POST',
    url: `/api/inventory/skus/${sku}/receipts`,
    headers: headers ?? (await bearerAs(inv, 'merchandiser')),
    payload: payload as object,
  });
}

export interface Levels {
  sku: string;
  onHand: number;
  reserved: number;
  available: number;
  locations: { location: string; onHand: number; reserved: number; available: number }[];
}

export async function levels(inv: Inventory, sku: string): Promise<Levels> {
  const res = await inv.app.inject({ url: `/api/inventory/skus/${sku}`, headers: await bearerAs(inv, 'support') });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

export async function reservationOf(inv: Inventory, orderId: string) {
  const res = await inv.app.inject({ url: `/api/inventory/reservations/${orderId}`, headers: await bearerAs(inv, 'support') });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** Asserts an RFC 9457 problem with its stable code; returns the body. */
export function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): any }, status: number, code: string) {
  expect({ status: res.statusCode, code: res.json().code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  return res.json();
}

/** A series' value from /metrics (0 when absent). */
export async function metric(inv: Inventory, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = (await inv.app.inject('/metrics')).body;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').at(-1));
  }
  return 0;
}

/** Per SKU, from the journal: what came in or went out by receipts and adjustments, and what orders took for good. */
export async function journalOf(inv: Inventory, sku: string) {
  const rows = await sql<{ kind: string; on_hand: number; reserved: number }>`
    SELECT kind, sum(on_hand_delta)::bigint AS on_hand, sum(reserved_delta)::bigint AS reserved
    FROM stock_movements WHERE sku = ${sku} GROUP BY kind`.execute(inv.ctx.db);
  const by = (kinds: string[], key: 'on_hand' | 'reserved') =>
    rows.rows.filter((r) => kinds.includes(r.kind)).reduce((n, r) => n + Number(r[key]), 0);
  return {
    received: by(['receipt', 'adjustment'], 'on_hand'),
    /** Units committed, less those returned when an order was cancelled after its commit. */
    committed: 0 - by(['commit', 'release'], 'on_hand'),
    onHand: by(['receipt', 'adjustment', 'reserve', 'commit', 'release', 'expiry'], 'on_hand'),
    reserved: by(['receipt', 'adjustment', 'reserve', 'commit', 'release', 'expiry'], 'reserved'),
  };
}
