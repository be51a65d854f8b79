/**
 * Least privilege in the distributed mode (RELIABILITY.md, "Service to service: least-privilege
 * database and broker users"): every service reaches PostgreSQL as a role that owns only its own
 * database, and RabbitMQ as a user that may touch only its own queues and publish only its own
 * message types. The system still sells; a service that is taken over can reach nothing else;
 * the accounts are gone when the system stops, and a killed run's never stand in the next one's way.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { createDb, databaseUrl } from '@emporium/db';
import { createEnvelope, deadLetterExchangeOf, defineMessage, RabbitMqTransport } from '@emporium/messaging';
import { createLogger } from '@emporium/observability';
import { createTestDatabase, deleteTestTopology, testAmqpUrl, testServerUrl, uniqueName, waitFor } from '@emporium/testing';
import amqp, { type ConfirmChannel } from 'amqplib';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountName, createServiceAccounts } from '../src/least-privilege.js';
import { SYSTEM } from '../src/services.js';
import { startTestSystem, type TestSystem } from './support/distributed.js';
import { checkout, DEMO_SKUS, orderBody, waitForStatus } from './support/shop.js';

const rabbitmqctl = process.env.RABBITMQCTL ?? 'rabbitmqctl';
const SERVICES_WITH_DATABASE = SYSTEM.filter((e) => e.module.migrations).map((e) => e.module.name);
const SERVICES_ON_BROKER = ['catalog', 'inventory', 'orders', 'payments', 'notifications'];

/** Runs SQL on a connection of its own; answers the rows, or the error PostgreSQL gave. */
async function sqlAs(url: string, text: string): Promise<{ rows: Record<string, unknown>[] } | { code: string; message: string }> {
  const db = createDb(url, { max: 1, prepareStatements: false });
  try {
    const { rows } = await db.pool.query(text);
    return { rows };
  } catch (error) {
    const { code, message } = error as { code: string; message: string };
    return { code, message };
  } finally {
    await db.destroy();
  }
}

/** The URL of the same database as the test server's administrator. */
function asAdministrator(url: string): string {
  return databaseUrl(testServerUrl(), new URL(url).pathname.slice(1));
}

function onDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * Runs one operation on a fresh channel as the URL's user: `ok`, or how the broker closed the
 * channel (code and reply text). A refusal is a channel close, which amqplib reports as an
 * 'error' event before 'close'; the operation's own rejection may come first or carry no code.
 */
async function brokerAnswer(
  url: string,
  operation: (ch: ConfirmChannel) => Promise<unknown>,
): Promise<'ok' | { code: number; message: string }> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createConfirmChannel();
    let refusal: { code: number; message: string } | undefined;
    ch.on('error', (error: Error & { code: number }) => {
      refusal = { code: error.code, message: error.message };
    });
    const closed = new Promise<void>((resolve) => ch.once('close', () => resolve()));
    try {
      await operation(ch);
      return 'ok';
    } catch {
      await closed;
      return refusal ?? { code: 0, message: 'channel closed without a reply code' };
    }
  } finally {
    await conn.close().catch(() => {});
  }
}

const refused = { code: 403, message: expect.stringContaining('ACCESS_REFUSED') };

async function brokerUsers(): Promise<string[]> {
  const { stdout } = await promisify(execFile)(rabbitmqctl, ['-q', 'list_users', '--formatter', 'json']);
  return (JSON.parse(stdout) as { user: string }[]).map((u) => u.user);
}

async function databaseRoles(names: string[]): Promise<string[]> {
  const found = await sqlAs(testServerUrl(), `SELECT rolname FROM pg_roles WHERE rolname IN (${names.map((n) => `'${n}'`).join(', ')})`);
  if (!('rows' in found)) throw new Error(found.message);
  return found.rows.map((r) => r.rolname as string).sort();
}

describe('least privilege in the distributed mode: a database role and a broker user per service', () => {
  let system: TestSystem;
  let stopped = false;
  const accountOf = (service: string) => accountName(system.exchange, service);

  beforeAll(async () => {
    system = await startTestSystem();
  }, 180_000);

  afterAll(async () => {
    if (!stopped) await system?.stop();
  }, 60_000);

  it('each service is given its own role and user, none to the parts that need none, and a checkout is still confirmed end to end', async () => {
    for (const service of SERVICES_WITH_DATABASE) {
      expect(decodeURIComponent(new URL(system.connectionOf(service).databaseUrl as string).username), service).toBe(accountOf(service));
    }
    for (const service of SERVICES_ON_BROKER) {
      expect(decodeURIComponent(new URL(system.connectionOf(service).amqpUrl as string).username), service).toBe(accountOf(service));
    }
    for (const part of ['gateway', 'identity', 'payment-provider', 'smtp-sink', 'partner-webhooks']) {
      expect(system.connectionOf(part).amqpUrl, part).toBeUndefined();
    }
    for (const sandbox of SYSTEM.filter((e) => e.sandbox))
      expect(system.connectionOf(sandbox.module.name), sandbox.module.name).toEqual({});

    // Every message of the saga crosses the broker under these users: reserve (orders → inventory),
    // reserved (inventory → orders), authorize and capture (orders ↔ payments), commit, confirmed.
    const customer = `lp-${randomUUID().slice(0, 8)}`;
    const order = await checkout(system, customer, orderBody({ sku: DEMO_SKUS[0] as string }));
    const confirmed = await waitForStatus(system, customer, order.orderId, 'confirmed');
    expect(confirmed.status).toBe('confirmed');
  }, 120_000);

  it('the orders role owns its database and nothing more: another service’s database, a schema it does not own, the server’s catalogs and new databases are refused', async () => {
    const orders = system.connectionOf('orders').databaseUrl as string;
    const payments = system.connectionOf('payments').databaseUrl as string;
    const role = accountOf('orders');

    const own = await sqlAs(
      orders,
      `SELECT current_user AS me, pg_get_userbyid(d.datdba) AS owner, (SELECT count(*) FROM orders) >= 0 AS reads_orders,
              r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolreplication, r.rolbypassrls
         FROM pg_database d, pg_roles r WHERE d.datname = current_database() AND r.rolname = current_user`,
    );
    expect(own).toEqual({
      rows: [
        {
          me: role,
          owner: role,
          reads_orders: true,
          rolsuper: false,
          rolcreatedb: false,
          rolcreaterole: false,
          rolreplication: false,
          rolbypassrls: false,
        },
      ],
    });

    // The payments database, with the orders role: CONNECT is revoked from PUBLIC.
    expect(await sqlAs(onDatabase(orders, new URL(payments).pathname.slice(1)), 'SELECT 1')).toEqual({
      code: '42501',
      message: expect.stringContaining('permission denied for database'),
    });

    // A schema in the orders database that the administrator made: owning the database is not owning it.
    const schema = uniqueName('operations');
    const made = await sqlAs(
      asAdministrator(orders),
      `CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.notes (body text); INSERT INTO ${schema}.notes VALUES ('for operators only')`,
    );
    expect(made).not.toHaveProperty('code');
    expect(await sqlAs(orders, `SELECT body FROM ${schema}.notes`)).toEqual({
      code: '42501',
      message: expect.stringContaining('permission denied'),
    });
    // The server's password verifiers.
    expect(await sqlAs(orders, 'SELECT rolpassword FROM pg_catalog.pg_authid')).toEqual({
      code: '42501',
      message: expect.stringContaining('permission denied'),
    });
    expect(await sqlAs(orders, `CREATE DATABASE ${uniqueName('stolen')}`)).toEqual({
      code: '42501',
      message: expect.stringContaining('permission denied'),
    });
  });

  it('the inventory user cannot publish a payments type, bind to payments types, consume or delete the payments queue, or declare a queue not its own', async () => {
    const inventory = system.connectionOf('inventory').amqpUrl as string;
    const paymentsTypes = SYSTEM.find((e) => e.module.name === 'payments')?.module.publishes?.map((m) => m.type) ?? [];
    const captured = paymentsTypes.find((t) => t.includes('capture'));
    expect(captured).toBeDefined();
    const exchange = system.exchange;
    const paymentsQueue = `${exchange}.payments`;

    expect(
      await brokerAnswer(inventory, async (ch) => {
        ch.publish(exchange, captured as string, Buffer.from('{}'), { persistent: true });
        await ch.waitForConfirms();
      }),
    ).toEqual({ ...refused, message: expect.stringContaining(`access to topic '${captured}'`) });
    expect(await brokerAnswer(inventory, (ch) => ch.bindQueue(`${exchange}.inventory`, exchange, 'payments.#'))).toEqual(refused);
    expect(await brokerAnswer(inventory, (ch) => ch.consume(paymentsQueue, () => {}))).toEqual({
      ...refused,
      message: expect.stringContaining(`access to queue '${paymentsQueue}'`),
    });
    expect(await brokerAnswer(inventory, (ch) => ch.get(paymentsQueue))).toEqual(refused);
    expect(await brokerAnswer(inventory, (ch) => ch.deleteQueue(paymentsQueue))).toEqual(refused);
    expect(await brokerAnswer(inventory, (ch) => ch.assertQueue(`${exchange}.sneaky`, { durable: false }))).toEqual(refused);
    expect(await brokerAnswer(inventory, (ch) => ch.assertQueue(uniqueName('sneaky'), { durable: false }))).toEqual(refused);
    // The same user on its own queue: the refusals above are about whose it is.
    expect(await brokerAnswer(inventory, (ch) => ch.checkQueue(`${exchange}.inventory`))).toBe('ok');
  });

  it('the inventory user cannot reach another service’s queue through the default exchange or the payments queue’s own exchange, nor delete or redeclare the shared exchange, nor route foreign keys onto it through its own exchange', async () => {
    const inventory = system.connectionOf('inventory').amqpUrl as string;
    const exchange = system.exchange;
    const paymentsQueue = `${exchange}.payments`;
    const ownQueue = `${exchange}.inventory`;
    const captured = SYSTEM.find((e) => e.module.name === 'payments')?.module.publishes?.find((m) => m.type.includes('capture'))?.type;
    expect(captured).toBeDefined();
    const publishTo = (target: string, key: string) => async (ch: ConfirmChannel) => {
      ch.publish(target, key, Buffer.from('{}'), { persistent: true, mandatory: true });
      await ch.waitForConfirms();
    };

    // The nameless exchange reaches every queue by name: no write on it at all.
    expect(await brokerAnswer(inventory, publishTo('', paymentsQueue))).toEqual({
      ...refused,
      message: expect.stringContaining("access to exchange 'amq.default'"),
    });
    expect(await brokerAnswer(inventory, publishTo(deadLetterExchangeOf(paymentsQueue), paymentsQueue))).toEqual({
      ...refused,
      message: expect.stringContaining(`access to exchange '${deadLetterExchangeOf(paymentsQueue)}'`),
    });
    // The shared exchange is the operator's: neither deleted nor declared (with its own or other properties).
    expect(await brokerAnswer(inventory, (ch) => ch.deleteExchange(exchange))).toEqual(refused);
    expect(await brokerAnswer(inventory, (ch) => ch.assertExchange(exchange, 'topic', { durable: false }))).toEqual(refused);
    expect(await brokerAnswer(inventory, (ch) => ch.assertExchange(exchange, 'topic', { durable: true }))).toEqual(refused);
    expect(await brokerAnswer(inventory, (ch) => ch.checkExchange(exchange))).toBe('ok');
    // Its own exchange bound to the shared one would forward any key the topic permission there refuses.
    const own = deadLetterExchangeOf(ownQueue);
    expect(await brokerAnswer(inventory, (ch) => ch.bindExchange(exchange, own, captured as string))).toEqual({
      ...refused,
      message: expect.stringContaining(`access to topic '${captured}'`),
    });
    expect(await brokerAnswer(inventory, publishTo(own, captured as string))).toEqual({
      ...refused,
      message: expect.stringContaining(`access to topic '${captured}'`),
    });
    // Its own exchange with its own queue's name is what its retries use.
    expect(await brokerAnswer(inventory, publishTo(own, `${ownQueue}.parked`))).toBe('ok');
    expect(await brokerAnswer(inventory, (ch) => ch.get(`${ownQueue}.parked`, { noAck: true }))).toBe('ok');
  });

  it('when the system stops, its roles and users are gone, their passwords were never written, and the data stays', async () => {
    const names = [...new Set([...SERVICES_WITH_DATABASE, ...SERVICES_ON_BROKER])].map(accountOf).sort();
    expect(await databaseRoles(names)).toEqual(SERVICES_WITH_DATABASE.map(accountOf).sort());
    expect((await brokerUsers()).filter((u) => names.includes(u)).sort()).toEqual(SERVICES_ON_BROKER.map(accountOf).sort());
    const ordersUrl = system.connectionOf('orders').databaseUrl as string;
    const passwords = SYSTEM.flatMap(({ module }) => {
      const { databaseUrl: db, amqpUrl } = system.connectionOf(module.name);
      return [db, amqpUrl].filter((u): u is string => u !== undefined).map((u) => decodeURIComponent(new URL(u).password));
    });

    stopped = true;
    await system.stop();

    expect(await databaseRoles(names)).toEqual([]);
    expect((await brokerUsers()).filter((u) => names.includes(u))).toEqual([]);
    for (const { module } of SYSTEM) {
      const output = system.output(module.name);
      expect(
        passwords.filter((p) => output.includes(p)),
        `${module.name} output`,
      ).toEqual([]);
    }
    // The database and its tables outlive the role, handed to the administrator: the next start gives them to the role again.
    expect(
      await sqlAs(
        asAdministrator(ordersUrl),
        `SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname = 'orders' AND relkind = 'r'`,
      ),
    ).toEqual({
      rows: [{ owner: decodeURIComponent(new URL(testServerUrl()).username) }],
    });
  }, 60_000);
});

describe('a run that was killed before it removed its accounts', () => {
  it('does not break the next start of the same system: its role and user are taken over with new passwords, and removed at its stop', async () => {
    const system = uniqueName('killed');
    const exchange = system;
    const database = await createTestDatabase('killed_orders');
    const services = [
      { name: 'orders', databaseUrl: database, broker: { publishes: ['orders.order.confirmed.v1'], queue: { bindings: [] } } },
    ];
    const options = { system, services, amqpUrl: testAmqpUrl(), exchange, queuePrefix: exchange, rabbitmqctl };

    // The killed run: accounts made, a table created as its role, never removed.
    const killed = await createServiceAccounts(options);
    try {
      expect(
        await sqlAs(killed.databaseUrl('orders') as string, 'CREATE TABLE saved (id int); INSERT INTO saved VALUES (1)'),
      ).not.toHaveProperty('code');

      const next = await createServiceAccounts(options);
      expect(await sqlAs(next.databaseUrl('orders') as string, 'SELECT count(*)::int AS n FROM saved')).toEqual({ rows: [{ n: 1 }] });
      // The exchange was declared by the administrator: the user only checks it.
      expect(await brokerAnswer(next.amqpUrl('orders') as string, (ch) => ch.checkExchange(exchange))).toBe('ok');
      // The old password no longer opens the user.
      await expect(amqp.connect(killed.amqpUrl('orders') as string)).rejects.toThrow(/ACCESS_REFUSED/);
      await next.remove();
    } finally {
      // Same names: whichever run's remove() cleans up after a failure above (a no-op after next's).
      await killed.remove();
      const admin = await amqp.connect(testAmqpUrl());
      await admin
        .createChannel()
        .then((ch) => ch.deleteExchange(exchange))
        .catch(() => {});
      await admin.close();
    }
    expect(await databaseRoles([accountName(system, 'orders')])).toEqual([]);
    expect(await brokerUsers()).not.toContain(accountName(system, 'orders'));
  }, 60_000);
});

describe('a consumer under its own least-privilege user', () => {
  it('retries a failing message and parks it after the last attempt through its queue’s own exchange, an operator replays it, and the same user cannot start a service that declares the shared exchange', async () => {
    const system = uniqueName('lpq');
    const exchange = system;
    const spec = { name: 'orders', bindings: ['orders.test.poison.v1'], maxAttempts: 3, retryDelaysMs: [50, 100] };
    const accounts = await createServiceAccounts({
      system,
      services: [{ name: 'orders', broker: { publishes: ['orders.test.poison.v1'], queue: { bindings: spec.bindings } } }],
      amqpUrl: testAmqpUrl(),
      exchange,
      queuePrefix: exchange,
      rabbitmqctl,
    });
    const logger = createLogger({ service: 'lp-test', level: 'silent', pretty: false });
    const asUser = (declareExchange: boolean) =>
      new RabbitMqTransport({
        url: accounts.amqpUrl('orders') as string,
        exchange,
        queuePrefix: exchange,
        declareExchange,
        logger,
        connectTimeoutMs: 10_000,
      });
    const transport = asUser(false);
    const operator = new RabbitMqTransport({ url: testAmqpUrl(), exchange, queuePrefix: exchange, logger });
    try {
      let fixed = false;
      const attempts: number[] = [];
      await transport.consume(spec, async (_e, d) => {
        attempts.push(d.attempt);
        if (!fixed) throw new Error('not yet');
      });
      const poison = createEnvelope(defineMessage('orders.test.poison.v1', Type.Object({})), {}, { source: 'test' });
      await transport.publish([poison]);

      await waitFor(async () => (await operator.listParked('orders')).length === 1, { description: 'the parked message' });
      expect(attempts).toEqual([1, 2, 3]);
      expect((await operator.listParked('orders'))[0]).toMatchObject({ attempts: 3, lastError: 'Error: not yet' });
      fixed = true;
      expect(await operator.replayParked('orders')).toBe(1);
      await waitFor(() => attempts.length === 4, { description: 'the replayed message' });
      expect(attempts.at(-1)).toBe(1);

      // Without AMQP_DECLARE_EXCHANGE=false the start fails at once, saying so.
      const declaring = asUser(true);
      await expect(declaring.declare([spec])).rejects.toMatchObject({
        code: 'broker_access_refused',
        message: expect.stringContaining('AMQP_DECLARE_EXCHANGE=false'),
      });
      await declaring.close();
    } finally {
      await transport.close();
      await operator.close();
      await accounts.remove();
      await deleteTestTopology(exchange, [spec]);
    }
  }, 60_000);
});
