import { randomUUID } from 'node:crypto';
import pg from 'pg';

export interface CommitCeiling {
  commitsPerSecond: number;
  connections: number;
  seconds: number;
}

const STATE_ROWS = 10_000;
/** About the size of an outbox row of the saga (an envelope with an order's lines and address). */
const OUTBOX_BODY = JSON.stringify({
  id: randomUUID(),
  type: 'orders.saga.step.requested.v1',
  source: 'bench',
  time: new Date().toISOString(),
  schemaVersion: 1,
  data: { orderId: randomUUID(), pad: 'x'.repeat(820) },
});

/**
 * The durable commit rate of this PostgreSQL for a transaction of one saga step's size: the
 * inbox row of the message that drove the step, the update of the saga's state row, and the
 * outbox row of the next command — three round trips inside BEGIN/COMMIT from Node's `pg`, as
 * the services send them, with synchronous_commit on. `connections` clients in parallel, so
 * group commit helps the ceiling as much as it can help the services.
 */
export async function measureCommitCeiling(url: string, connections: number, seconds: number): Promise<CommitCeiling> {
  const setup = new pg.Client({ connectionString: url });
  setup.on('error', () => {});
  await setup.connect();
  try {
    await setup.query(`
      CREATE TABLE IF NOT EXISTS ceiling_state (id int PRIMARY KEY, step int NOT NULL, updated_at timestamptz NOT NULL);
      CREATE TABLE IF NOT EXISTS ceiling_inbox (message_id uuid PRIMARY KEY, consumer text NOT NULL, received_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE IF NOT EXISTS ceiling_outbox (id uuid PRIMARY KEY, type text NOT NULL, body jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(), sent_at timestamptz);
      INSERT INTO ceiling_state SELECT g, 0, now() FROM generate_series(1, ${STATE_ROWS}) g ON CONFLICT DO NOTHING;`);
    const { rows } = await setup.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
    if (rows[0]?.synchronous_commit !== 'on')
      throw new Error(`synchronous_commit is ${rows[0]?.synchronous_commit}: commits would not be durable`);
  } finally {
    await setup.end();
  }

  const connecting = await Promise.allSettled(
    Array.from({ length: connections }, async () => {
      const c = new pg.Client({ connectionString: url });
      // A connection the server ends (the run's cleanup drops this database) fails its query, not the process.
      c.on('error', () => {});
      await c.connect();
      return c;
    }),
  );
  const clients = connecting.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  try {
    const refused = connecting.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (refused) throw new Error(`only ${clients.length} of ${connections} connections: ${(refused.reason as Error).message}`);
    // The first second is not counted: connections and caches warm up.
    const countFrom = performance.now() + 1_000;
    const end = countFrom + seconds * 1_000;
    let counted = 0;
    await Promise.all(
      clients.map(async (c) => {
        while (performance.now() < end) {
          await c.query('BEGIN');
          await c.query("INSERT INTO ceiling_inbox (message_id, consumer) VALUES ($1, 'orders') ON CONFLICT DO NOTHING", [randomUUID()]);
          await c.query('UPDATE ceiling_state SET step = step + 1, updated_at = now() WHERE id = $1', [
            1 + Math.floor(Math.random() * STATE_ROWS),
          ]);
          await c.query('INSERT INTO ceiling_outbox (id, type, body) VALUES ($1, $2, $3)', [randomUUID(), 'step', OUTBOX_BODY]);
          await c.query('COMMIT');
          const now = performance.now();
          if (now >= countFrom && now < end) counted++;
        }
      }),
    );
    return { commitsPerSecond: counted / seconds, connections, seconds };
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
  }
}
