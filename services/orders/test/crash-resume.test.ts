import path from 'node:path';
import { createDb, type Db, sql } from '@emporium/db';
import type { Transport } from '@emporium/messaging';
import { type Child, createTestDatabase, freePort, spawnTs, testAuthEnv, waitFor } from '@emporium/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { aSharedBroker } from './support/broker.js';
import { catalogSells, type StandInCatalog, startCatalog } from './support/catalog.js';
import { type Doubles, startDoubles } from './support/doubles.js';
import { aCheckout, aCustomer, anIdempotencyKey, anOrdersClient, aSku, eventually } from './support/orders.js';

const ORDERS_PROCESS = path.join(import.meta.dirname, 'support/orders-process.ts');
const ORDERS_MAIN = path.join(import.meta.dirname, '../src/main.ts');

let broker: { transport: Transport; env: Record<string, string> };
let catalog: StandInCatalog;
let doubles: Doubles;
let databaseUrl: string;
let db: Db<any>;
const children: Child[] = [];

beforeAll(async () => {
  broker = await aSharedBroker();
  catalog = await startCatalog();
  doubles = await startDoubles(broker.transport);
  databaseUrl = await createTestDatabase('orders');
  db = createDb(databaseUrl, { max: 2 });
});
afterAll(async () => {
  await Promise.all(children.map((c) => c.kill('SIGKILL')));
  await doubles?.stop();
  await broker?.transport.close();
  await catalog?.close();
  await db?.destroy();
});

const statusOf = async (id: string) =>
  (await sql<{ status: string }>`SELECT status FROM orders WHERE id = ${id}`.execute(db)).rows[0]?.status;

it('when orders is killed after handling a reply and before publishing the next command, then the restarted process sends it from its outbox and the checkout completes', async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // The child trusts the test issuer of this process and gets its catalog tokens there; its token
  // endpoint is the default, <AUTH_ISSUER>/token (AUTH_TOKEN_URL left out).
  const { AUTH_TOKEN_URL: _default, ...client } = await anOrdersClient();
  const env = {
    ...broker.env,
    ...(await testAuthEnv()),
    ...client,
    DATABASE_URL: databaseUrl,
    CATALOG_URL: catalog.url,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    CONSUMER_RETRY_DELAYS_MS: '50,100,200',
    OUTBOX_POLL_INTERVAL_MS: '200',
  };
  const first = spawnTs(ORDERS_PROCESS, env);
  children.push(first);
  await first.waitForLine(/orders listening/, 60_000);

  // An order whose reservation inventory holds back for now.
  // The processes run the module as it ships, named `orders`: the audience of the customer's token.
  const customer = await aCustomer({ name: 'orders' });
  const sku = aSku();
  doubles.inventory.pause(sku);
  catalogSells(catalog, [{ sku, price: 800 }]);
  const res = await fetch(`${base}/api/orders`, {
    method: 'POST',
    headers: { ...customer.headers, 'idempotency-key': anIdempotencyKey(), 'content-type': 'application/json' },
    body: JSON.stringify(aCheckout({ lines: [{ sku, quantity: 1 }] })),
  });
  expect(res.status).toBe(202);
  const id = ((await res.json()) as { orderId: string }).orderId;
  await eventually(() => expect(doubles.inventory.commandsFor(id)).toEqual(['inventory.reserve.requested.v1']));

  // From now on the process commits but does not publish; then inventory answers.
  first.process.kill('SIGUSR2');
  await first.waitForLine(/relay stopped/);
  await doubles.inventory.resume(sku);
  await waitFor(async () => (await statusOf(id)) === 'authorizing', { description: 'the reply to be handled' });
  const waiting = await sql<{ type: string; sent: boolean }>`
    SELECT type, sent_at IS NOT NULL AS sent FROM outbox WHERE envelope->>'subject' = ${id} ORDER BY seq`.execute(db);
  expect(waiting.rows).toEqual([
    { type: 'inventory.reserve.requested.v1', sent: true },
    { type: 'payments.authorize.requested.v1', sent: false },
  ]);

  await first.kill('SIGKILL');
  expect(doubles.payments.commandsFor(id)).toEqual([]);

  // The real entry point, restarted on the same database.
  const second = spawnTs(ORDERS_MAIN, env);
  children.push(second);
  await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, { timeoutMs: 60_000, description: 'orders to be ready again' });
  await waitFor(async () => (await statusOf(id)) === 'confirmed', { timeoutMs: 20_000, description: 'the checkout to complete' });

  expect(doubles.payments.commandsFor(id)).toEqual(['payments.authorize.requested.v1', 'payments.capture.requested.v1']);
  expect(doubles.inventory.commandsFor(id)).toEqual(['inventory.reserve.requested.v1', 'inventory.commit.requested.v1']);
  await eventually(() => expect(doubles.events.of(id).map((e) => e.type)).toEqual(['orders.order.confirmed.v1']));
  const order = (await (await fetch(`${base}/api/orders/${id}`, { headers: customer.headers })).json()) as {
    timeline: { step: string; status: string }[];
  };
  expect(order.timeline.filter((e) => e.status === 'succeeded').map((e) => e.step)).toEqual([
    'placeOrder',
    'reserveStock',
    'authorizePayment',
    'capturePayment',
    'commitStock',
    'confirm',
  ]);
});
