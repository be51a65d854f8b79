/**
 * Dev tool: every SQL statement one checkout costs, per service database. Runs the whole system in
 * this process on the real PostgreSQL + RabbitMQ, places N orders one after another (each waited
 * for), and prints the statements grouped by text with their counts per order.
 */
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { createLogger } from '@emporium/observability';
import { RabbitMqTransport } from '@emporium/messaging';
import { databaseUrl, dropDatabase, ensureDatabase } from '@emporium/db';
import { startSystem } from '../../../cli/src/system.js';
import { deleteTopology } from '../checkout/system.js';
import { DEMO_CATALOG } from '@emporium/catalog';

const N = Number(process.argv[2] ?? 20);
const server = 'postgres://root@127.0.0.1:5432/postgres';
const id = randomBytes(3).toString('hex');
const counts = new Map<string, Map<string, number>>();
let recording = false;
const orig = pg.Client.prototype.query as any;
(pg.Client.prototype as any).query = function (this: any, config: any, ...rest: any[]) {
  if (recording) {
    const db = String(this.connectionParameters?.database ?? '?').replace(`sqltrace_${id}_`, '');
    const text = typeof config === 'string' ? config : (config?.text ?? String(config));
    const key = text
      .replace(/\s+/g, ' ')
      .replace(/\$\d+(, \$\d+)*/g, '$n')
      .slice(0, 160);
    const m = counts.get(db) ?? new Map();
    m.set(key, (m.get(key) ?? 0) + 1);
    counts.set(db, m);
  }
  return orig.call(this, config, ...rest);
};
const logger = createLogger({ service: 'sqltrace', level: 'warn', pretty: false });
const transport = new RabbitMqTransport({
  url: 'amqp://guest:guest@127.0.0.1:5672',
  exchange: `sqltrace_${id}`,
  queuePrefix: `sqltrace_${id}`,
  logger,
} as any);
const dbs: string[] = [];
const system = await startSystem({
  portBase: 21000 + Math.floor(Math.random() * 5000),
  transport,
  logger,
  logLevel: 'warn',
  demo: true,
  databaseUrlOf: async (s) => {
    const name = `sqltrace_${id}_${s.replace(/-/g, '_')}`;
    await ensureDatabase(server, name);
    dbs.push(name);
    return databaseUrl(server, name);
  },
});
const gw = system.urls.gateway as string;
const sku = DEMO_CATALOG[0]?.variants[0]?.sku as string;
async function one(i: number) {
  const res = await fetch(`${gw}/api/orders`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(await system.tokens.customer('orders', `c${i}`)),
      'idempotency-key': `k-${id}-${i}`,
    },
    body: JSON.stringify({
      lines: [{ sku, quantity: 1 }],
      email: `c${i}@example.test`,
      shippingAddress: { name: 'A', line1: 'B', city: 'C', postalCode: 'D', country: 'GB' },
      paymentMethod: 'pm_card_visa',
    }),
  });
  const { orderId } = (await res.json()) as { orderId: string };
  for (;;) {
    const o = (await (
      await fetch(`${gw}/api/orders/${orderId}`, { headers: await system.tokens.customer('orders', `c${i}`) })
    ).json()) as any;
    if (o.status === 'confirmed' || o.status === 'cancelled') break;
    await new Promise((r) => setTimeout(r, 200));
  }
}
await one(-1);
await new Promise((r) => setTimeout(r, 3000));
recording = true;
for (let i = 0; i < N; i++) await one(i);
await new Promise((r) => setTimeout(r, 3000));
recording = false;
let total = 0;
for (const [db, m] of counts) {
  const sum = [...m.values()].reduce((a, b) => a + b, 0);
  total += sum;
  console.log(`\n== ${db}: ${(sum / N).toFixed(1)} statements/order`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1])) console.log(`${(v / N).toFixed(2).padStart(6)}  ${k}`);
}
console.log(`\ntotal ${(total / N).toFixed(1)} statements/order (status polls at 200 ms included)`);
await system.stop();
await transport.close();
await deleteTopology('amqp://guest:guest@127.0.0.1:5672', `sqltrace_${id}`, {});
for (const d of dbs) await dropDatabase(server, d);
process.exit(0);
