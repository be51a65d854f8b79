/**
 * The messaging guarantees, run on the transport of this run's mode: the embedded transport
 * (default) and RabbitMQ (EMPORIUM_TEST_MODE=real). Same tests, same assertions.
 */
import path from 'node:path';
import { createDb, type Db, sql } from '@emporium/db';
import { createEnvelope, OutboxRelay, type Transport } from '@emporium/messaging';
import { createTestDatabase, deleteTestTopology, spawnTs, testAmqpUrl, testMode, uniqueName, waitFor } from '@emporium/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  effectHandler,
  effectStats,
  openTestDb,
  openTransport,
  queueSpec,
  quietLogger,
  registry,
  TestEvent,
  type TransportDescription,
  writeMessages,
} from './harness.js';

const here = import.meta.dirname;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

async function newTransportDescription(leaseMs?: number): Promise<TransportDescription> {
  return testMode() === 'real'
    ? { kind: 'rabbitmq', url: testAmqpUrl(), exchange: uniqueName('ex') }
    : { kind: 'embedded', url: await createTestDatabase('broker'), ...(leaseMs ? { leaseMs } : {}) };
}

function track<T extends { close?: () => Promise<unknown>; stop?: () => Promise<unknown>; destroy?: () => Promise<unknown> }>(thing: T): T {
  closers.push(async () => {
    if (thing.stop) await thing.stop();
    else if (thing.close) await thing.close();
    else if (thing.destroy) await thing.destroy();
  });
  return thing;
}

async function setup(options: { leaseMs?: number } = {}) {
  const dbUrl = await createTestDatabase('outbox');
  const db = track(await openTestDb(dbUrl, 24));
  const description = await newTransportDescription(options.leaseMs);
  const transport: Transport = track(openTransport(description));
  const spec = queueSpec(uniqueName('q'));
  await transport.declare([spec]);
  if (description.kind === 'rabbitmq') closers.unshift(() => deleteTestTopology(description.exchange, [spec]));
  return { dbUrl, db, description, transport, spec };
}

function startRelay(db: Db<any>, transport: Transport, batchSize = 200): OutboxRelay {
  const relay = new OutboxRelay({ db, transport, logger: quietLogger(), batchSize, pollIntervalMs: 100 });
  relay.start();
  return track(relay);
}

describe(`messaging guarantees on the ${testMode() === 'real' ? 'RabbitMQ' : 'embedded'} transport`, () => {
  it('delivers 10,000 messages committed by concurrent writers exactly once in effect, with 3 relay replicas at once', async () => {
    const { dbUrl, db, transport, spec } = await setup();
    // Three replicas: each its own pool and its own transport connection, one database.
    for (let i = 0; i < 3; i++) {
      const replicaDb = track(createDb<any>(dbUrl, { max: 3 }));
      startRelay(replicaDb, transport, 250);
    }
    track(await transport.consume(spec, effectHandler(db, spec.name)));
    await writeMessages(db, 10_000, { writers: 12, perTransaction: 25 });
    await waitFor(async () => (await effectStats(db)).distinct === 10_000, { timeoutMs: 120_000, description: '10,000 effects' });
    const stats = await effectStats(db);
    expect(stats).toEqual({ rows: 10_000, distinct: 10_000, unsent: 0 });
  });

  it('when the relay is SIGKILLed in the middle of a batch and restarted, then every committed message is applied exactly once', async () => {
    const { dbUrl, db, description, transport, spec } = await setup();
    track(await transport.consume(spec, effectHandler(db, spec.name)));
    await writeMessages(db, 4_000, { writers: 8, perTransaction: 50 });
    const child = spawnTs(path.join(here, 'relay-child.ts'), {
      CHILD_DB_URL: dbUrl,
      CHILD_TRANSPORT: JSON.stringify(description),
      CHILD_BATCH: '100',
    });
    closers.push(() => child.kill());
    await child.waitForLine(/relay started/);
    // Kill it while it is publishing: some, but not all, of the messages are marked sent.
    await waitFor(async () => {
      const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NOT NULL`.execute(db);
      return (r.rows[0]?.n ?? 0) >= 300;
    });
    await child.kill('SIGKILL');
    const before = await effectStats(db);
    expect(before.unsent).toBeGreaterThan(0);

    startRelay(db, transport);
    await waitFor(async () => (await effectStats(db)).distinct === 4_000, {
      timeoutMs: 60_000,
      description: '4,000 effects after restart',
    });
    expect(await effectStats(db)).toEqual({ rows: 4_000, distinct: 4_000, unsent: 0 });
  });

  it('when a consumer dies after its effect committed but before the ack, then the redelivery changes nothing', async () => {
    const { dbUrl, db, description, transport, spec } = await setup({ leaseMs: 500 });
    const child = spawnTs(path.join(here, 'consumer-child.ts'), {
      CHILD_DB_URL: dbUrl,
      CHILD_TRANSPORT: JSON.stringify(description),
      CHILD_QUEUE: spec.name,
    });
    closers.push(() => child.kill());
    await child.waitForLine(/consumer started/);
    const envelope = createEnvelope(TestEvent, { n: 7 }, { source: 'test' });
    await db.transaction().execute(async (trx) => {
      const { appendToOutbox } = await import('@emporium/messaging');
      await appendToOutbox(trx, registry, envelope);
    });
    startRelay(db, transport);
    await child.waitForLine(/effect committed/);
    expect(await child.exited).not.toBe(0);

    // A second consumer gets the unacknowledged message again and finds it in its inbox.
    const seen: number[] = [];
    const handle = effectHandler(db, spec.name);
    track(
      await transport.consume(spec, async (e, d) => {
        await handle(e, d);
        seen.push(d.attempt);
      }),
    );
    await waitFor(() => seen.length === 1, { description: 'the redelivery' });
    expect(seen[0]).toBeGreaterThanOrEqual(2);
    expect(await effectStats(db)).toEqual({ rows: 1, distinct: 1, unsent: 0 });
  });

  it('parks a poison message after retries with backoff while other messages flow, and replays it after the fix', async () => {
    const { db, transport, spec } = await setup();
    let fixed = false;
    const attempts: number[] = [];
    const handle = effectHandler(db, spec.name);
    track(
      await transport.consume(spec, async (e, d) => {
        const n = (e.data as { n: number }).n;
        if (n === 13) {
          attempts.push(d.attempt);
          if (!fixed) throw new Error('cannot handle thirteen');
        }
        await handle(e, d);
      }),
    );
    startRelay(db, transport);
    await writeMessages(db, 50, { writers: 2, perTransaction: 5 });

    await waitFor(async () => (await transport.listParked(spec.name)).length === 1, { description: 'the parked message' });
    expect(attempts).toEqual([1, 2, 3, 4]);
    await waitFor(async () => (await effectStats(db)).distinct === 49, { description: 'the other 49 effects' });
    const [parked] = await transport.listParked(spec.name);
    expect(parked?.envelope?.data).toEqual({ n: 13 });
    expect(parked?.lastError).toContain('cannot handle thirteen');

    fixed = true;
    expect(await transport.replayParked(spec.name)).toBe(1);
    await waitFor(async () => (await effectStats(db)).distinct === 50, { description: 'the replayed effect' });
    expect(await transport.listParked(spec.name)).toEqual([]);
    expect(await effectStats(db)).toEqual({ rows: 50, distinct: 50, unsent: 0 });
  });
});
