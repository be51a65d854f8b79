/**
 * The RabbitMQ transport against real brokers: the machine's shared RabbitMQ (reached directly or
 * through a TCP proxy the test can cut) and, for the broker crash, a node of the test's own.
 */
import { createDb, type Db, dropDatabase, migrate, sql } from '@emporium/db';
import { createLogger, createMetrics, type Metrics } from '@emporium/observability';
import {
  createTestDatabase,
  type RabbitNode,
  startRabbitNode,
  startTcpProxy,
  type TcpProxy,
  testAmqpUrl,
  testServerUrl,
  uniqueName,
  waitFor,
} from '@emporium/testing';
import { type Channel, connect } from 'amqplib';
import { Type } from 'typebox';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createEnvelope, defineMessage, type Envelope, MessageRegistry } from '../src/envelope.js';
import { handleOnce, inboxMigrations } from '../src/inbox.js';
import { appendToOutbox, outboxMigrations } from '../src/outbox.js';
import {
  deadLetterExchangeOf,
  declareSharedExchange,
  parkingQueueOf,
  RabbitMqTransport,
  type RabbitMqTransportOptions,
  retryQueueOf,
} from '../src/rabbitmq.js';
import { OutboxRelay } from '../src/relay.js';
import { type Delivery, PermanentFailure, type QueueSpec } from '../src/transport.js';

const Placed = defineMessage('shop.order.placed.v1', Type.Object({ n: Type.Integer() }));
const Created = defineMessage('catalog.product.created.v1', Type.Object({ n: Type.Integer() }));
const registry = new MessageRegistry([Placed, Created]);

const logger = createLogger({ service: 'rabbitmq-test', level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false });

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

const placed = (n: number) => createEnvelope(Placed, { n }, { source: 'test' });
const nOf = (e: Envelope) => (e.data as { n: number }).n;

function spec(overrides: Partial<QueueSpec> = {}): QueueSpec {
  return { name: uniqueName('q'), bindings: ['shop.order.#'], maxAttempts: 3, retryDelaysMs: [50, 100], prefetch: 32, ...overrides };
}

function sharedBroker(): { host: string; port: number } {
  const url = new URL(testAmqpUrl());
  return { host: url.hostname, port: Number(url.port || 5672) };
}

/** The shared broker's URL, or the proxy's in front of it. */
function brokerUrl(proxy?: TcpProxy): string {
  const url = new URL(testAmqpUrl());
  if (proxy) {
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
  }
  return url.toString();
}

function openTransport(specs: QueueSpec[], options: Partial<RabbitMqTransportOptions> = {}): RabbitMqTransport {
  const url = options.url ?? brokerUrl();
  const exchange = options.exchange ?? uniqueName('ex');
  // Registered first, so it runs after the transport's close (closers run in reverse).
  closers.push(() => deleteTopology(url, exchange, specs));
  const transport = new RabbitMqTransport({ url, exchange, logger, maxReconnectDelayMs: 500, publishTimeoutMs: 5_000, ...options });
  closers.push(() => transport.close());
  return transport;
}

async function deleteTopology(url: string, exchange: string, specs: QueueSpec[]): Promise<void> {
  const conn = await connect(url);
  conn.on('error', () => {});
  try {
    for (const s of specs) {
      for (const name of [s.name, parkingQueueOf(s.name), ...(s.retryDelaysMs ?? []).map((ms) => retryQueueOf(s.name, ms))]) {
        const ch = await conn.createChannel();
        ch.on('error', () => {});
        await ch.deleteQueue(name).catch(() => {});
        await ch.close().catch(() => {});
      }
    }
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    for (const s of specs) await ch.deleteExchange(deadLetterExchangeOf(s.name)).catch(() => {});
    await ch.deleteExchange(exchange).catch(() => {});
  } finally {
    await conn.close().catch(() => {});
  }
}

/** Runs work as the administrator on a throwaway channel. */
async function asAdministrator<T>(work: (ch: Channel) => Promise<T>): Promise<T> {
  const conn = await connect(brokerUrl());
  conn.on('error', () => {});
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    return await work(ch);
  } finally {
    await conn.close().catch(() => {});
  }
}

/** Declares `queue` with `args` on a throwaway channel: resolves if the broker finds them equivalent. */
async function redeclare(queue: string, args: Record<string, unknown>): Promise<void> {
  await asAdministrator((ch) => ch.assertQueue(queue, { durable: true, arguments: args }));
}

async function queueDepth(url: string, queue: string): Promise<number> {
  const conn = await connect(url);
  conn.on('error', () => {});
  try {
    const ch = await conn.createChannel();
    return (await ch.checkQueue(queue)).messageCount;
  } finally {
    await conn.close().catch(() => {});
  }
}

async function metricValue(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  const { values } = (await metric?.get()) ?? { values: [] };
  return values
    .filter((v) => Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l))
    .reduce((sum, v) => sum + v.value, 0);
}

// --- a service database: outbox, inbox, and an effect per handled message ----------------------

async function openServiceDb(): Promise<Db<any>> {
  const url = await createTestDatabase('rmq');
  const db = createDb<any>(url, { max: 16 });
  closers.push(async () => {
    await db.destroy();
    await dropDatabase(testServerUrl(), new URL(url).pathname.slice(1));
  });
  await migrate(db, { ...outboxMigrations, ...inboxMigrations }, 'platform_migrations');
  await migrate(
    db,
    {
      '0001_effects': {
        async up(d) {
          // No unique key on purpose: an effect applied twice would leave two rows.
          await sql`CREATE TABLE effects (message_id uuid NOT NULL, n integer NOT NULL)`.execute(d);
          await sql`CREATE TABLE effect_counter (id integer PRIMARY KEY, applied integer NOT NULL)`.execute(d);
          await sql`INSERT INTO effect_counter VALUES (1, 0)`.execute(d);
        },
      },
    },
    'test_migrations',
  );
  return db;
}

/** Commits messages n = from … from+count-1 with `writers` concurrent writers, `perTx` per transaction. */
async function writeMessages(db: Db<any>, from: number, count: number, perTx = 20, writers = 4): Promise<void> {
  let next = from;
  const end = from + count;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < end) {
        const start = next;
        next = Math.min(end, next + perTx);
        const batch = Array.from({ length: next - start }, (_, i) => placed(start + i));
        await db.transaction().execute((trx) => appendToOutbox(trx, registry, batch));
      }
    }),
  );
}

/** The idempotent consumer: inbox row, effect row and counter in one transaction. */
function applyEffect(db: Db<any>, consumer: string) {
  return (envelope: Envelope, delivery: Delivery) =>
    handleOnce(db, consumer, envelope, delivery, async (trx) => {
      await sql`INSERT INTO effects (message_id, n) VALUES (${envelope.id}, ${nOf(envelope)})`.execute(trx);
      await sql`UPDATE effect_counter SET applied = applied + 1 WHERE id = 1`.execute(trx);
    });
}

async function stats(db: Db<any>): Promise<{ rows: number; distinct: number; counter: number; unsent: number }> {
  const r = await sql<{ rows: number; distinct: number; counter: number; unsent: number }>`
    SELECT (SELECT count(*)::int FROM effects) AS rows,
           (SELECT count(DISTINCT message_id)::int FROM effects) AS distinct,
           (SELECT applied FROM effect_counter WHERE id = 1) AS counter,
           (SELECT count(*)::int FROM outbox WHERE sent_at IS NULL) AS unsent`.execute(db);
  return r.rows[0]!;
}

async function sentCount(db: Db<any>): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NOT NULL`.execute(db);
  return r.rows[0]?.n ?? 0;
}

function startRelay(db: Db<any>, transport: RabbitMqTransport, metrics?: Metrics): OutboxRelay {
  const relay = new OutboxRelay({
    db,
    transport,
    logger,
    batchSize: 200,
    pollIntervalMs: 100,
    maxBackoffMs: 1_000,
    ...(metrics ? { metrics } : {}),
  });
  relay.start();
  closers.push(() => relay.stop());
  return relay;
}

// -------------------------------------------------------------------------------------------------

describe('RabbitMqTransport on a real broker', () => {
  it('declares a quorum queue with a delivery limit and a parking target, its parking and retry queues; health is true; a bound type reaches the handler, another does not', async () => {
    const s = spec();
    const transport = openTransport([s]);
    await transport.declare([s]);

    // The broker itself says what exists: a declaration with other arguments is refused, naming the current ones.
    const own = deadLetterExchangeOf(s.name);
    const quorumArgs = {
      'x-queue-type': 'quorum',
      'x-delivery-limit': 8,
      'x-dead-letter-exchange': own,
      'x-dead-letter-routing-key': parkingQueueOf(s.name),
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    };
    await expect(redeclare(s.name, { ...quorumArgs, 'x-queue-type': 'classic' })).rejects.toThrow(/x-queue-type.*current is 'quorum'/);
    const { 'x-delivery-limit': _, ...withoutLimit } = quorumArgs;
    await expect(redeclare(s.name, withoutLimit)).rejects.toThrow(/x-delivery-limit.*current is the value '8'/);
    await expect(redeclare(s.name, quorumArgs)).resolves.toBeUndefined();
    for (const ms of [50, 100]) {
      await expect(
        redeclare(retryQueueOf(s.name, ms), {
          'x-queue-type': 'classic',
          'x-message-ttl': ms,
          'x-dead-letter-exchange': own,
          'x-dead-letter-routing-key': s.name,
        }),
      ).resolves.toBeUndefined();
    }
    await expect(redeclare(parkingQueueOf(s.name), { 'x-queue-type': 'classic' })).resolves.toBeUndefined();
    // The queue's own exchange: durable topic (a direct one of that name would be refused).
    await expect(asAdministrator((ch) => ch.assertExchange(own, 'direct', { durable: true }))).rejects.toThrow(/inequivalent arg 'type'/);
    await expect(asAdministrator((ch) => ch.assertExchange(own, 'topic', { durable: true }))).resolves.toMatchObject({ exchange: own });
    expect(await transport.health()).toEqual({ connected: true, topologyDeclared: true });

    const received: string[] = [];
    await transport.consume(s, async (e) => {
      received.push(e.type);
    });
    await transport.publish([createEnvelope(Created, { n: 1 }, { source: 'test' }), placed(2)]);
    await waitFor(() => received.length >= 1, { description: 'the bound message' });
    // Both went through one channel into one FIFO queue: had the unbound one been routed, it would be first.
    expect(received).toEqual(['shop.order.placed.v1']);
  });

  it('when health is asked after a declared queue was deleted, then topologyDeclared is false', async () => {
    const s = spec();
    const transport = openTransport([s]);
    await transport.declare([s]);
    const conn = await connect(brokerUrl());
    await (await conn.createChannel()).deleteQueue(retryQueueOf(s.name, 100));
    await conn.close();
    expect(await transport.health()).toEqual({ connected: true, topologyDeclared: false });
  });

  it('when health is asked after a queue’s own exchange was deleted, then topologyDeclared is false', async () => {
    const s = spec();
    const transport = openTransport([s]);
    await transport.declare([s]);
    await asAdministrator((ch) => ch.deleteExchange(deadLetterExchangeOf(s.name)));
    expect(await transport.health()).toEqual({ connected: true, topologyDeclared: false });
  });

  it('when a queue exists with the arguments of the earlier topology (dead-lettering through the default exchange), then declare fails naming the queue and what to do, and a changed maxAttempts likewise', async () => {
    const s = spec({ maxAttempts: 3 });
    const transport = openTransport([s]);
    // As the transport declared it before queues had an exchange of their own.
    await redeclare(s.name, {
      'x-queue-type': 'quorum',
      'x-delivery-limit': 8,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': parkingQueueOf(s.name),
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    });
    const refused = await transport.declare([s]).then(
      () => undefined,
      (error: unknown) => error as { code: string; message: string },
    );
    expect(refused?.code).toBe('broker_topology_conflict');
    expect(refused?.message).toContain(`queue ${s.name} exists with other arguments`);
    expect(refused?.message).toMatch(/x-dead-letter-exchange/);
    expect(refused?.message).toMatch(/delete the old queues.*or start with a new AMQP_QUEUE_PREFIX/);
    expect(await transport.health()).toMatchObject({ topologyDeclared: false });

    const other = spec({ maxAttempts: 3 });
    const first = openTransport([other]);
    await first.declare([other]);
    const changed = openTransport([other], { exchange: uniqueName('ex') });
    await expect(changed.declare([{ ...other, maxAttempts: 4 }])).rejects.toMatchObject({
      code: 'broker_topology_conflict',
      message: expect.stringMatching(new RegExp(`^queue ${other.name} exists .*x-delivery-limit`)),
    });
  });

  it('with declareExchange false, checks the shared exchange instead of declaring it: a missing one fails the start, one declared by the operator is used as it is', async () => {
    const s = spec();
    const exchange = uniqueName('ex');
    const transport = openTransport([s], { exchange, declareExchange: false });
    await expect(transport.declare([s])).rejects.toMatchObject({
      code: 'broker_exchange_missing',
      message: expect.stringContaining(`exchange ${exchange} does not exist`),
    });

    // Declared by the operator with other properties than the transport would use (not durable):
    // only a passive check accepts it; a declaring transport is refused, naming the exchange.
    await asAdministrator((ch) => ch.assertExchange(exchange, 'topic', { durable: false }));
    await transport.declare([s]);
    const received: number[] = [];
    await transport.consume(s, async (e) => {
      received.push(nOf(e));
    });
    await transport.publish([placed(1)]);
    await waitFor(() => received.length === 1, { description: 'the message' });
    const declaring = openTransport([], { exchange });
    await expect(declaring.declare([])).rejects.toMatchObject({
      code: 'broker_topology_conflict',
      message: expect.stringContaining(`exchange ${exchange} exists with other arguments`),
    });

    const operatorDeclared = uniqueName('ex');
    await declareSharedExchange(brokerUrl(), operatorDeclared);
    await declareSharedExchange(brokerUrl(), operatorDeclared); // idempotent
    const checking = openTransport([], { exchange: operatorDeclared, declareExchange: false });
    await checking.declare([]);
    expect(await checking.health()).toEqual({ connected: true, topologyDeclared: true });
  });

  it('when a retry queue’s binding to the queue’s own exchange is missing, then the retry comes back (mandatory) and the message is requeued, never lost, and parked on its last attempt', async () => {
    const s = spec({ maxAttempts: 3, retryDelaysMs: [50] });
    const transport = openTransport([s]);
    await transport.declare([s]);
    const retry = retryQueueOf(s.name, 50);
    await asAdministrator((ch) => ch.unbindQueue(retry, deadLetterExchangeOf(s.name), retry));
    const attempts: number[] = [];
    await transport.consume(s, async (_e, d) => {
      attempts.push(d.attempt);
      throw new Error('still failing');
    });
    await transport.publish([placed(1)]);

    await waitFor(async () => (await transport.listParked(s.name)).length === 1, { description: 'the parked message' });
    // Each returned retry put the message back (its delivery count is the next attempt).
    expect(attempts).toEqual([1, 2, 3]);
    expect((await transport.listParked(s.name))[0]?.lastError).toBe('Error: still failing');
    expect(await queueDepth(brokerUrl(), retry)).toBe(0);
    expect(await queueDepth(brokerUrl(), s.name)).toBe(0);
  });

  it('when a message is delivered over and over without ever being acked (a consumer crash loop), then the broker dead-letters it through the queue’s own exchange to the parking queue after the delivery limit', async () => {
    const s = spec({ maxAttempts: 1 });
    const transport = openTransport([s]);
    await transport.declare([s]);
    await transport.publish([placed(7)]);
    // A consumer that never finishes a message: each delivery goes back to the queue, as when the
    // process dies holding it.
    let deliveries = 0;
    const conn = await connect(brokerUrl());
    closers.push(() => conn.close());
    const ch = await conn.createChannel();
    await ch.consume(s.name, (msg) => {
      if (!msg) return;
      deliveries++;
      ch.nack(msg, false, true);
    });

    await waitFor(async () => (await transport.listParked(s.name)).length === 1, { description: 'the dead-lettered message' });
    const [parked] = await transport.listParked(s.name);
    expect(nOf(parked!.envelope!)).toBe(7);
    expect(parked!.lastError).toBe('dead-lettered by the broker: delivery_limit');
    // maxAttempts 1 + the margin of 5: the broker's limit, not ours, parked it.
    expect(deliveries).toBeGreaterThanOrEqual(6);
    expect(await queueDepth(brokerUrl(), s.name)).toBe(0);
  });

  it('publishes a message’s trace context as W3C AMQP headers too; a message without one gets none', async () => {
    const s = spec();
    const transport = openTransport([s]);
    await transport.declare([s]);
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const traced = createEnvelope(Placed, { n: 1 }, { source: 'test', traceparent, tracestate: 'emporium=1' });
    await transport.publish([traced, placed(2)]);
    const conn = await connect(brokerUrl());
    try {
      const ch = await conn.createChannel();
      const headersOf = async () => {
        const msg = await waitFor(async () => (await ch.get(s.name, { noAck: true })) || undefined, {
          description: 'a message in the queue',
        });
        return msg.properties.headers ?? {};
      };
      expect(await headersOf()).toMatchObject({ traceparent, tracestate: 'emporium=1' });
      expect(await headersOf()).not.toHaveProperty('traceparent');
    } finally {
      await conn.close();
    }
  });

  it('resolves publish only once the broker confirmed: 5,000 messages in batches of 500 are all in the queue when the last publish resolves, and each reaches the consumer exactly once', async () => {
    const s = spec();
    const transport = openTransport([s]);
    await transport.declare([s]);
    const started = performance.now();
    for (let batch = 0; batch < 10; batch++) {
      await transport.publish(Array.from({ length: 500 }, (_, i) => placed(batch * 500 + i)));
    }
    const publishMs = performance.now() - started;
    expect(await queueDepth(brokerUrl(), s.name)).toBe(5_000);

    const seen = new Map<number, number>();
    const consumeStart = performance.now();
    await transport.consume(s, async (e) => {
      seen.set(nOf(e), (seen.get(nOf(e)) ?? 0) + 1);
    });
    await waitFor(() => seen.size === 5_000, { timeoutMs: 30_000, description: '5,000 messages' });
    const consumeMs = performance.now() - consumeStart;
    await waitFor(async () => (await queueDepth(brokerUrl(), s.name)) === 0, { description: 'every message acked' });
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    console.info(
      `[measure] publish 5,000 confirmed (10 × 500): ${Math.round(publishMs)} ms (${Math.round(5_000 / (publishMs / 1000))} msg/s); ` +
        `consume with acks: ${Math.round(consumeMs)} ms (${Math.round(5_000 / (consumeMs / 1000))} msg/s)`,
    );
  });

  it('retries a poison message with the configured backoff, parks it after the last attempt while other messages flow, lists it with its last error (secrets masked), and replays it once fixed', async () => {
    const s = spec({ maxAttempts: 3, retryDelaysMs: [50, 100] });
    const metrics = createMetrics('test', { defaultMetrics: false });
    const transport = openTransport([s], { metrics });
    await transport.declare([s]);
    let fixed = false;
    const poisonAttempts: { attempt: number; at: number }[] = [];
    const handled: number[] = [];
    await transport.consume(s, async (e, d) => {
      if (nOf(e) === 13) {
        poisonAttempts.push({ attempt: d.attempt, at: performance.now() });
        if (!fixed) throw new Error('cannot handle thirteen (db postgres://app:hunter2@db/shop, password=hunter2)');
      }
      handled.push(nOf(e));
    });
    await transport.publish(Array.from({ length: 20 }, (_, i) => placed(i)));

    await waitFor(async () => (await transport.listParked(s.name)).length === 1, { description: 'the parked message' });
    await waitFor(() => handled.length === 19, { description: 'the 19 other messages' });
    expect(poisonAttempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    const [first, second, third] = poisonAttempts.map((a) => a.at);
    expect(second! - first!).toBeGreaterThanOrEqual(45);
    expect(third! - second!).toBeGreaterThanOrEqual(95);
    expect(handled.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i).filter((n) => n !== 13));

    // Listing is non-destructive: twice, the same message.
    const [parked] = await transport.listParked(s.name);
    expect(await transport.listParked(s.name)).toEqual([parked]);
    expect(nOf(parked!.envelope!)).toBe(13);
    expect(parked!.attempts).toBe(3);
    expect(parked!.lastError).toContain('cannot handle thirteen');
    expect(parked!.lastError).not.toContain('hunter2');
    expect(parked!.parkedAt).toBeTruthy();
    await waitFor(
      async () => (await metricValue(metrics, 'emporium_messages_consumed_total', { queue: s.name, outcome: 'parked' })) === 1,
      {
        description: 'the parked count',
      },
    );
    expect(await metricValue(metrics, 'emporium_messages_consumed_total', { queue: s.name, outcome: 'ok' })).toBe(19);
    expect(await metricValue(metrics, 'emporium_messages_consumed_total', { queue: s.name, outcome: 'retried' })).toBe(2);
    expect(await metricValue(metrics, 'emporium_messages_consumed_total', { queue: s.name, outcome: 'parked' })).toBe(1);
    expect(await metricValue(metrics, 'emporium_broker_connected', {})).toBe(1);

    fixed = true;
    expect(await transport.replayParked(s.name, [parked!.envelope!.id])).toBe(1);
    await waitFor(() => handled.includes(13), { description: 'the replayed message' });
    expect(poisonAttempts.at(-1)?.attempt).toBe(1);
    expect(handled.filter((n) => n === 13)).toHaveLength(1);
    expect(await transport.listParked(s.name)).toEqual([]);
  });

  it('parks a message that is not JSON at once, without calling the handler', async () => {
    const s = spec();
    const exchange = uniqueName('ex');
    const transport = openTransport([s], { exchange });
    await transport.declare([s]);
    let calls = 0;
    await transport.consume(s, async () => {
      calls++;
    });
    const conn = await connect(brokerUrl());
    const ch = await conn.createConfirmChannel();
    ch.publish(exchange, 'shop.order.placed.v1', Buffer.from('{not json'), { persistent: true, messageId: 'raw-1' });
    await ch.waitForConfirms();
    await conn.close();

    await waitFor(async () => (await transport.listParked(s.name)).length === 1, { description: 'the parked message' });
    const [parked] = await transport.listParked(s.name);
    expect(parked).toMatchObject({ envelope: null, raw: '{not json', attempts: 1 });
    expect(parked?.lastError).toMatch(/unparseable/);
    expect(calls).toBe(0);
  });

  it('parks a message at once when the handler throws PermanentFailure, without retrying it', async () => {
    const s = spec({ maxAttempts: 5 });
    const transport = openTransport([s]);
    await transport.declare([s]);
    const attempts: number[] = [];
    await transport.consume(s, async (_e, d) => {
      attempts.push(d.attempt);
      throw new PermanentFailure('unknown product');
    });
    await transport.publish([placed(1)]);

    await waitFor(async () => (await transport.listParked(s.name)).length === 1, { description: 'the parked message' });
    expect(attempts).toEqual([1]);
    expect((await transport.listParked(s.name))[0]?.lastError).toBe('PermanentFailure: unknown product');
  });

  it('while the broker is unreachable, publish rejects at once (the outbox keeps the message) and succeeds again once it is back', async () => {
    const proxy = await startTcpProxy(sharedBroker());
    closers.push(() => proxy.close());
    const s = spec();
    const transport = openTransport([s], { url: brokerUrl(proxy) });
    await transport.declare([s]);
    proxy.pause();
    proxy.cut();
    await waitFor(async () => !(await transport.health()).connected, { description: 'the transport to notice' });

    const started = performance.now();
    await expect(transport.publish([placed(1)])).rejects.toMatchObject({ code: 'broker_unavailable' });
    expect(performance.now() - started).toBeLessThan(100);

    proxy.resume();
    await waitFor(() => transport.publish([placed(2)]).then(() => true), { timeoutMs: 10_000, description: 'a publish to succeed' });
    expect(await queueDepth(brokerUrl(), s.name)).toBe(1);
  });

  it('stops a consumer gracefully: stop() waits for the handler in hand, which is acked, not redelivered', async () => {
    const s = spec();
    const transport = openTransport([s]);
    await transport.declare([s]);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started = 0;
    let finished = 0;
    const handle = await transport.consume(s, async () => {
      started++;
      await gate;
      finished++;
    });
    await transport.publish([placed(1)]);
    await waitFor(() => started === 1, { description: 'the handler to start' });
    let stopped = false;
    const stopping = handle.stop().then(() => {
      stopped = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(finished).toBe(1);
    expect(await queueDepth(brokerUrl(), s.name)).toBe(0);
  });

  it('when the connection is cut twice while the relay publishes 2,000 messages, then nothing crashes, the relay resumes by itself and every message is applied exactly once', async () => {
    const proxy = await startTcpProxy(sharedBroker());
    closers.push(() => proxy.close());
    const db = await openServiceDb();
    const s = spec({ maxAttempts: 5, retryDelaysMs: [50, 100] });
    const metrics = createMetrics('test', { defaultMetrics: false });
    const transport = openTransport([s], { url: brokerUrl(proxy), metrics, publishTimeoutMs: 3_000 });
    await transport.declare([s]);
    await transport.consume(s, async (e, d) => {
      await applyEffect(db, s.name)(e, d);
    });
    startRelay(db, transport, metrics);

    await writeMessages(db, 0, 1_000);
    await waitFor(async () => (await sentCount(db)) >= 300, { description: '300 published' });
    proxy.cut();
    // Written while the link is down or coming back: the outbox keeps them.
    await writeMessages(db, 1_000, 1_000);
    await waitFor(async () => (await sentCount(db)) >= 1_300, { timeoutMs: 30_000, description: '1,300 published' });
    proxy.cut();

    await waitFor(async () => (await stats(db)).distinct === 2_000, { timeoutMs: 60_000, description: '2,000 effects' });
    expect(await stats(db)).toEqual({ rows: 2_000, distinct: 2_000, counter: 2_000, unsent: 0 });
    expect(await metricValue(metrics, 'emporium_broker_reconnects_total', { connection: 'publish' })).toBe(2);
    expect(await metricValue(metrics, 'emporium_broker_reconnects_total', { connection: 'consume' })).toBe(2);
    await waitFor(async () => (await transport.health()).topologyDeclared, { description: 'healthy again' });
    expect(await metricValue(metrics, 'emporium_broker_connected', {})).toBe(1);
    console.info(
      `[measure] link cut ×2: relay publish failures ${await metricValue(metrics, 'emporium_outbox_publish_failures_total', {})}`,
    );
  });

  it('when a consumer loses its connection after its effect committed but before the ack, then the redelivery changes nothing', async () => {
    const proxy = await startTcpProxy(sharedBroker());
    closers.push(() => proxy.close());
    const db = await openServiceDb();
    const s = spec();
    const exchange = uniqueName('ex');
    const consumerSide = openTransport([s], { url: brokerUrl(proxy), exchange });
    const publisherSide = openTransport([], { exchange });
    await publisherSide.declare([s]);
    const apply = applyEffect(db, s.name);
    const deliveries: { n: number; attempt: number; applied: boolean }[] = [];
    let cut = false;
    await consumerSide.consume(s, async (e, d) => {
      const applied = await apply(e, d);
      deliveries.push({ n: nOf(e), attempt: d.attempt, applied });
      // The process "dies" between the commit and the ack: its connection is gone.
      if (nOf(e) === 5 && !cut) {
        cut = true;
        proxy.cut();
      }
    });
    await publisherSide.publish(Array.from({ length: 10 }, (_, i) => placed(i)));

    await waitFor(() => deliveries.some((x) => x.n === 5 && !x.applied), { timeoutMs: 20_000, description: 'the redelivery of message 5' });
    await waitFor(async () => (await stats(db)).distinct === 10, { description: '10 effects' });
    await waitFor(async () => (await queueDepth(brokerUrl(), s.name)) === 0, { description: 'every message acked' });
    const redelivery = deliveries.find((x) => x.n === 5 && !x.applied);
    expect(redelivery?.attempt).toBeGreaterThanOrEqual(2);
    expect(await stats(db)).toMatchObject({ rows: 10, distinct: 10, counter: 10 });
  });
});

describe('RabbitMqTransport when the broker is SIGKILLed and restarted', () => {
  // One node of the test's own for both tests (the shared broker is never killed): ~5–15 s to start.
  let node: RabbitNode | undefined;
  const ownNode = async () => {
    node ??= await startRabbitNode();
    return node;
  };
  afterAll(async () => {
    await node?.stop();
  });

  it('resumes by itself, loses nothing: every message confirmed before the kill and every one written after it is applied exactly once (I12)', async () => {
    const rabbit = await ownNode();
    const db = await openServiceDb();
    const s = spec({ maxAttempts: 5, retryDelaysMs: [50, 100] });
    const metrics = createMetrics('test', { defaultMetrics: false });
    const transport = new RabbitMqTransport({ url: rabbit.url, logger, metrics, maxReconnectDelayMs: 1_000, publishTimeoutMs: 3_000 });
    closers.push(() => transport.close());
    await transport.declare([s]);
    await transport.consume(s, async (e, d) => {
      await applyEffect(db, s.name)(e, d);
    });
    // Declared well before the kill, as at a service's start: the broker has saved the quorum
    // queue's registration (the next test is about the kill that comes before that).
    await rabbit.waitForQuorumQueuesSaved();
    expect(await transport.health()).toEqual({ connected: true, topologyDeclared: true });
    startRelay(db, transport, metrics);

    await writeMessages(db, 0, 1_000);
    await waitFor(async () => (await sentCount(db)) >= 300, { description: '300 published' });
    const killedAt = performance.now();
    await rabbit.kill();
    const confirmedBeforeKill = (await sql<{ id: string }>`SELECT id FROM outbox WHERE sent_at IS NOT NULL`.execute(db)).rows.map(
      (r) => r.id,
    );
    await writeMessages(db, 1_000, 1_000);
    expect((await transport.health()).connected).toBe(false);
    await rabbit.restart();
    const restartedAt = performance.now();

    await waitFor(async () => (await stats(db)).distinct === 2_000, { timeoutMs: 60_000, description: '2,000 effects' });
    const drainedAt = performance.now();
    expect(await stats(db)).toEqual({ rows: 2_000, distinct: 2_000, counter: 2_000, unsent: 0 });
    const applied = new Set((await sql<{ message_id: string }>`SELECT message_id FROM effects`.execute(db)).rows.map((r) => r.message_id));
    expect(confirmedBeforeKill.length).toBeGreaterThanOrEqual(300);
    expect(confirmedBeforeKill.filter((id) => !applied.has(id))).toEqual([]);
    await waitFor(async () => (await transport.health()).topologyDeclared, { description: 'healthy again' });
    console.info(
      `[measure] broker SIGKILL: restart took ${Math.round(restartedAt - killedAt)} ms; all 2,000 applied ${Math.round(drainedAt - restartedAt)} ms after the restart`,
    );
  }, 120_000);

  it('when the broker is killed before it saved a just-declared quorum queue, then health reports the topology missing and publishing fails instead of hanging (F9)', async () => {
    const rabbit = await ownNode();
    const s = spec();
    const transport = new RabbitMqTransport({ url: rabbit.url, logger, maxReconnectDelayMs: 500, publishTimeoutMs: 2_000 });
    closers.push(() => transport.close());
    await transport.declare([s]);
    await transport.consume(s, async () => {});
    expect(rabbit.quorumQueuesSaved()).toBe(false);
    await rabbit.kill();
    await rabbit.restart();

    await waitFor(async () => (await transport.health()).connected, { timeoutMs: 30_000, description: 'reconnected' });
    expect(await transport.health()).toEqual({ connected: true, topologyDeclared: false });
    await expect(transport.publish([placed(1)])).rejects.toMatchObject({ code: 'broker_confirm_timeout' });
  }, 90_000);
});
