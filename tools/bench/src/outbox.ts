/**
 * Outbox benchmark: messages per second from the writer's commit to the consumer's committed
 * effect, on PostgreSQL + RabbitMQ, with 1 and 3 relays — printed beside the raw ceilings measured
 * in the same run: a bare publisher with confirms into the same broker, and a bare insert loop
 * into the same database (these machines are noisy: compare only figures of one run).
 * Last line: `outbox: <N> msg/s, ceiling <M> msg/s, ratio <R>`, N the slower of the two relay set-ups.
 * Consumers take 200 messages at once (BENCH_PREFETCH) so that the inbox can group-commit them.
 */
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import pg from 'pg';
import { createDb, databaseUrl, dropDatabase, ensureDatabase, sql } from '@emporium/db';
import { OutboxRelay, RabbitMqTransport } from '@emporium/messaging';
import { createLogger } from '@emporium/observability';
import { effectHandler, effectStats, openTestDb, queueSpec, writeMessages } from '../../../platform/messaging/test/harness.js';

const serverUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_SERVER_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const amqpUrl = process.env.TEST_AMQP_URL ?? process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const N = Number(process.env.BENCH_MESSAGES ?? 20_000);
const logger = createLogger({ service: 'bench', level: 'warn', pretty: false });
const body = JSON.stringify({
  id: randomUUID(),
  type: 'test.thing.happened.v1',
  source: 'bench',
  time: new Date().toISOString(),
  schemaVersion: 1,
  data: { n: 1, pad: 'x'.repeat(300) },
});

async function publisherCeiling(): Promise<number> {
  const conn = await amqp.connect(amqpUrl);
  const ch = await conn.createConfirmChannel();
  const q = `bench_ceiling_${randomUUID().slice(0, 8)}`;
  await ch.assertQueue(q, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  const window = 500;
  const started = performance.now();
  for (let sent = 0; sent < N; sent += window) {
    for (let i = 0; i < Math.min(window, N - sent); i++) ch.sendToQueue(q, Buffer.from(body), { persistent: true });
    await ch.waitForConfirms();
  }
  const rate = N / ((performance.now() - started) / 1000);
  await ch.deleteQueue(q);
  await conn.close();
  return rate;
}

async function insertCeiling(dbUrl: string): Promise<number> {
  const pool = new pg.Pool({ connectionString: dbUrl, max: 16 });
  await pool.query('CREATE TABLE IF NOT EXISTS bench_rows (id uuid PRIMARY KEY, body jsonb NOT NULL)');
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next++ < N) await pool.query('INSERT INTO bench_rows (id, body) VALUES ($1, $2)', [randomUUID(), body]);
    }),
  );
  const rate = N / ((performance.now() - started) / 1000);
  await pool.end();
  return rate;
}

async function pipeline(relays: number): Promise<number> {
  const name = `bench_outbox_${randomUUID().slice(0, 8).replace(/-/g, '')}`;
  await ensureDatabase(serverUrl, name);
  const url = databaseUrl(serverUrl, name);
  const db = await openTestDb(url, 40);
  const transport = new RabbitMqTransport({ url: amqpUrl, exchange: `bench_${name}`, logger });
  const spec = queueSpec(name, { prefetch: Number(process.env.BENCH_PREFETCH ?? 200) });
  await transport.declare([spec]);
  const consumer = await transport.consume(spec, effectHandler(db, name));
  const relayDbs = Array.from({ length: relays }, () => createDb<any>(url, { max: 3 }));
  const running = relayDbs.map((rdb) => new OutboxRelay({ db: rdb, transport, logger, batchSize: 500, pollIntervalMs: 50 }));
  for (const r of running) r.start();
  const started = performance.now();
  await writeMessages(db, N, { writers: 8, perTransaction: 20 });
  for (;;) {
    const { distinct } = await effectStats(db);
    if (distinct >= N) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const rate = N / ((performance.now() - started) / 1000);
  const stats = await effectStats(db);
  if (stats.rows !== N || stats.unsent !== 0) throw new Error(`pipeline lost or doubled messages: ${JSON.stringify(stats)}`);
  for (const r of running) await r.stop();
  await consumer.stop();
  await transport.close();
  await Promise.all(relayDbs.map((d) => d.destroy()));
  await sql`SELECT 1`.execute(db);
  await db.destroy();
  await dropDatabase(serverUrl, name);
  return rate;
}

/** Where the time goes: each stage alone (writers, then the relay, then the consumer). */
async function stages(): Promise<void> {
  const name = `bench_stages_${randomUUID().slice(0, 8).replace(/-/g, '')}`;
  await ensureDatabase(serverUrl, name);
  const url = databaseUrl(serverUrl, name);
  const db = await openTestDb(url, 40);
  const transport = new RabbitMqTransport({ url: amqpUrl, exchange: `bench_${name}`, logger });
  const spec = queueSpec(name, { prefetch: Number(process.env.BENCH_PREFETCH ?? 200) });
  await transport.declare([spec]);
  let t = performance.now();
  await writeMessages(db, N, { writers: 8, perTransaction: 20 });
  const write = N / ((performance.now() - t) / 1000);
  const relayDb = createDb<any>(url, { max: 3 });
  const relay = new OutboxRelay({ db: relayDb, transport, logger, batchSize: 500, pollIntervalMs: 50 });
  t = performance.now();
  relay.start();
  while ((await effectStats(db)).unsent > 0) await new Promise((r) => setTimeout(r, 20));
  const publish = N / ((performance.now() - t) / 1000);
  await relay.stop();
  await relayDb.destroy();
  t = performance.now();
  const consumer = await transport.consume(spec, effectHandler(db, name));
  while ((await effectStats(db)).distinct < N) await new Promise((r) => setTimeout(r, 20));
  const consume = N / ((performance.now() - t) / 1000);
  console.log(
    `stages alone: writers ${write.toFixed(0)} msg/s, relay ${publish.toFixed(0)} msg/s, consumer (inbox + effect) ${consume.toFixed(0)} msg/s`,
  );
  await consumer.stop();
  await transport.close();
  await db.destroy();
  await dropDatabase(serverUrl, name);
}

const ceilingDb = `bench_ceiling_${randomUUID().slice(0, 8).replace(/-/g, '')}`;
await ensureDatabase(serverUrl, ceilingDb);
const publish = await publisherCeiling();
console.log(`ceiling: bare publisher with confirms (window 500, quorum queue): ${publish.toFixed(0)} msg/s`);
const insert = await insertCeiling(databaseUrl(serverUrl, ceilingDb));
console.log(`ceiling: bare insert loop (16 clients, one row per commit): ${insert.toFixed(0)} rows/s`);
await dropDatabase(serverUrl, ceilingDb);
const one = await pipeline(1);
console.log(`outbox → RabbitMQ → inbox, 1 relay: ${one.toFixed(0)} msg/s (${N} messages)`);
const three = await pipeline(3);
console.log(`outbox → RabbitMQ → inbox, 3 relays: ${three.toFixed(0)} msg/s (${N} messages)`);
await stages();
const n = Math.min(one, three);
const m = Math.min(publish, insert);
console.log(`outbox: ${n.toFixed(0)} msg/s, ceiling ${m.toFixed(0)} msg/s, ratio ${(n / m).toFixed(2)}`);
process.exit(0);
