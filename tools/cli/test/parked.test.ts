/**
 * The operator's command lists a parked message and replays it after the fix, on the transport of
 * this run's mode (the embedded broker database, or RabbitMQ).
 */
import { createEnvelope, defineMessage, EmbeddedTransport, PermanentFailure, RabbitMqTransport, type Transport } from '@emporium/messaging';
import { createLogger } from '@emporium/observability';
import { createTestDatabase, deleteTestTopology, testAmqpUrl, testMode, uniqueName, waitFor } from '@emporium/testing';
import { Type } from 'typebox';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parkedCommand } from '../src/parked.js';

const Thing = defineMessage('ops.thing.happened.v1', Type.Object({ n: Type.Integer() }));

describe('emporium parked', () => {
  const logger = createLogger({ service: 'test', level: 'silent', pretty: false });
  const queue = uniqueName('ops');
  let transport: Transport;
  let env: Record<string, string>;
  afterAll(async () => {
    await transport?.close();
    if (env?.AMQP_EXCHANGE) await deleteTestTopology(env.AMQP_EXCHANGE, [{ name: queue, bindings: [], retryDelaysMs: [20] }]);
  });

  it('lists the parked message with its error, and replays it to its queue after the fix', async () => {
    if (testMode() === 'real') {
      const exchange = uniqueName('ex');
      env = { AMQP_URL: testAmqpUrl(), AMQP_EXCHANGE: exchange, AMQP_QUEUE_PREFIX: exchange };
      transport = new RabbitMqTransport({
        url: env.AMQP_URL as string,
        exchange: env.AMQP_EXCHANGE,
        queuePrefix: env.AMQP_EXCHANGE,
        logger,
      });
    } else {
      env = { BROKER_DATABASE_URL: await createTestDatabase('broker') };
      transport = new EmbeddedTransport({ url: env.BROKER_DATABASE_URL as string, logger, pollIntervalMs: 100 });
    }
    let fixed = false;
    const handled: number[] = [];
    const spec = { name: queue, bindings: ['ops.#'], maxAttempts: 2, retryDelaysMs: [20] };
    await transport.declare([spec]); // at start, as a service does: it also waits for the broker
    await transport.consume(spec, async (e) => {
      if (!fixed) throw new PermanentFailure('the handler cannot read this yet');
      handled.push((e.data as { n: number }).n);
    });
    const envelope = createEnvelope(Thing, { n: 42 }, { source: 'test', subject: 'thing-42' });
    await transport.publish([envelope]);
    await waitFor(async () => (await transport.listParked(queue)).length === 1, { description: 'the message to be parked' });

    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    try {
      expect(await parkedCommand(['list', queue], env, 'postgres://unused')).toBe(0);
      fixed = true;
      expect(await parkedCommand(['replay', queue], env, 'postgres://unused')).toBe(0);
    } finally {
      write.mockRestore();
    }
    const listed = JSON.parse(out[0] as string);
    expect(listed).toMatchObject({ id: envelope.id, type: 'ops.thing.happened.v1', subject: 'thing-42' });
    expect(listed.lastError).toContain('cannot read this yet');
    expect(out).toContain(`1 parked in ${queue}\n`);
    expect(out).toContain(`1 replayed to ${queue}\n`);
    await waitFor(() => handled.length === 1, { description: 'the replayed message to be handled' });
    expect(handled).toEqual([42]);
    expect(await transport.listParked(queue)).toEqual([]);
  });

  it('answers a usage line and exit code 64 for an unknown action', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await parkedCommand(['purge', 'x'], {}, 'postgres://unused')).toBe(64);
    } finally {
      err.mockRestore();
    }
  });
});
