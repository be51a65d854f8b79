// A relay in its own process, so a test can SIGKILL it in the middle of a batch.
import { createDb } from '@emporium/db';
import { OutboxRelay } from '@emporium/messaging';
import { openTransport, quietLogger, type TransportDescription } from './harness.js';

const db = createDb<any>(process.env.CHILD_DB_URL as string, { max: 4 });
const transport = openTransport(JSON.parse(process.env.CHILD_TRANSPORT as string) as TransportDescription);
await transport.declare([]);
const relay = new OutboxRelay({
  db,
  transport,
  logger: quietLogger(),
  batchSize: Number(process.env.CHILD_BATCH ?? 100),
  pollIntervalMs: 100,
});
relay.start();
process.stdout.write('relay started\n');
