// A consumer in its own process that dies right after its effect is committed, before the ack.
import { createDb } from '@emporium/db';
import { effectHandler, openTransport, queueSpec, type TransportDescription } from './harness.js';

const db = createDb<any>(process.env.CHILD_DB_URL as string, { max: 4 });
const transport = openTransport(JSON.parse(process.env.CHILD_TRANSPORT as string) as TransportDescription);
const spec = queueSpec(process.env.CHILD_QUEUE as string, { prefetch: 1 });
await transport.consume(
  spec,
  effectHandler(db, spec.name, {
    afterCommit: () => {
      process.stdout.write('effect committed\n');
      process.kill(process.pid, 'SIGKILL');
    },
  }),
);
process.stdout.write('consumer started\n');
