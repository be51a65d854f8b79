import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import pg from 'pg';

/** Latencies (ms) the probes saw, one per probe. */
export interface ProbeResults {
  commitMs: number[];
  confirmMs: number[];
}

/**
 * Two light probes that run beside the load, five times a second each, to tell a stall of the
 * infrastructure from a stall of the services: a durable one-row commit on the same PostgreSQL,
 * and a persistent message into a quorum queue on the same RabbitMQ, published with a confirm
 * (what every outbox relay waits for while it holds its batch).
 */
export class InfrastructureProbes {
  private readonly results: ProbeResults = { commitMs: [], confirmMs: [] };
  private running = true;
  private loops: Promise<void>[] = [];

  private constructor(
    private readonly client: pg.Client,
    private readonly conn: amqp.ChannelModel,
    private readonly channel: amqp.ConfirmChannel,
    private readonly queue: string,
  ) {}

  static async start(databaseUrl: string, amqpUrl: string, queue: string): Promise<InfrastructureProbes> {
    const client = new pg.Client({ connectionString: databaseUrl });
    client.on('error', () => {}); // the cleanup drops this database; its queries fail, not the process
    await client.connect();
    await client.query('CREATE TABLE IF NOT EXISTS probe_commits (id uuid PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())');
    const conn = await amqp.connect(amqpUrl);
    conn.on('error', () => {}); // without a listener a cut link would end the process
    const channel = await conn.createConfirmChannel();
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    const probes = new InfrastructureProbes(client, conn, channel, queue);
    probes.loops = [
      probes.loop(() => probes.commit(), probes.results.commitMs),
      probes.loop(() => probes.publish(), probes.results.confirmMs),
    ];
    return probes;
  }

  private async loop(probe: () => Promise<void>, into: number[]): Promise<void> {
    while (this.running) {
      const started = performance.now();
      await probe();
      into.push(performance.now() - started);
      await sleep(200);
    }
  }

  private async commit(): Promise<void> {
    await this.client.query('INSERT INTO probe_commits (id) VALUES ($1)', [randomUUID()]);
  }

  private async publish(): Promise<void> {
    this.channel.sendToQueue(this.queue, Buffer.from(JSON.stringify({ probe: randomUUID() })), { persistent: true });
    await this.channel.waitForConfirms();
  }

  /** Stops the probes, deletes the probe queue, and returns what they saw. */
  async stop(): Promise<ProbeResults> {
    this.running = false;
    await Promise.all(this.loops);
    await this.channel.deleteQueue(this.queue).catch(() => {});
    await this.conn.close().catch(() => {});
    await this.client.end().catch(() => {});
    return this.results;
  }
}
