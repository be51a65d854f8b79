/**
 * The whole system in distributed mode for a test: every part its own child process (from the
 * build when it is up to date with the sources, as after `npm run build` in CI; else from the
 * TypeScript sources), each service its own fresh database on this run's PostgreSQL, RabbitMQ
 * with an exchange and queue prefix of the test's own (deleted again at stop). As deployed, each
 * service reaches them with accounts of its own (least privilege, named `<exchange>_<service>`),
 * removed at stop.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase, deleteTestTopology, freePortBlock, testAmqpUrl, uniqueName } from '@emporium/testing';
import { SYSTEM } from '../../src/services.js';
import { type DistributedSystem, startDistributed } from '../../src/start-distributed.js';

const root = path.resolve(import.meta.dirname, '../../../..');

export interface TestSystem extends DistributedSystem {
  gateway: string;
  /** The RabbitMQ exchange, also the queue prefix, of this system (`<exchange>.<service>[.parked]`). */
  exchange: string;
}

/** Short delays so retries, relays and workers act within a test's patience. */
const FAST: Record<string, Record<string, string>> = {
  payments: { PAYMENTS_WORKER_POLL_MS: '50' },
  notifications: { NOTIFICATIONS_POLL_INTERVAL_MS: '50' },
};

export async function startTestSystem(options: { env?: Record<string, Record<string, string>>; demo?: boolean } = {}): Promise<TestSystem> {
  const exchange = uniqueName('e2e');
  const env: Record<string, Record<string, string>> = {};
  for (const entry of SYSTEM) {
    const name = entry.module.name;
    env[name] = {
      CONSUMER_RETRY_DELAYS_MS: '100,200,400',
      OUTBOX_POLL_INTERVAL_MS: '200',
      ...(FAST[name] ?? {}),
      ...(options.env?.[name] ?? {}),
    };
  }
  const system = await startDistributed({
    root,
    from: buildIsFresh() ? 'build' : 'source',
    output: 'capture',
    portBase: await freePortBlock(),
    logLevel: process.env.TEST_LOG_LEVEL ?? 'warn',
    demo: options.demo ?? true,
    amqp: { url: testAmqpUrl(), exchange, queuePrefix: exchange },
    databaseUrlOf: (service) => createTestDatabase(service.replace(/-/g, '_')),
    // rabbitmqctl of the broker TEST_AMQP_URL names (default: the one on the PATH).
    leastPrivilege: process.env.RABBITMQCTL ? { rabbitmqctl: process.env.RABBITMQCTL } : {},
    env,
    // Every part starts at once, beside other suites (from sources through tsx when the build is
    // stale): give a loaded 2-core machine time (60 s was exceeded under CI-like load).
    readyTimeoutMs: 120_000,
  });
  return {
    ...system,
    gateway: system.urls.gateway as string,
    exchange,
    stop: async () => {
      try {
        await system.stop();
      } finally {
        await deleteTopology();
      }
    },
  };

  async function deleteTopology(): Promise<void> {
    const specs = SYSTEM.filter((e) => e.module.consumes).map((e) => ({
      name: e.module.name,
      bindings: [],
      retryDelaysMs: (env[e.module.name]?.CONSUMER_RETRY_DELAYS_MS ?? '').split(',').map(Number),
    }));
    await deleteTestTopology(exchange, specs);
  }
}

let fresh: boolean | undefined;

/**
 * Whether every package of the build (tsconfig.build.json) was compiled after its last source
 * change: then the parts start from dist, ten processes that load JavaScript instead of each
 * compiling the whole platform through tsx (the larger part of a start on 2 cores). A source newer
 * than its build, or no build, means the sources: a test never runs code older than what it reads.
 */
export function buildIsFresh(): boolean {
  fresh ??= (() => {
    const build = JSON.parse(readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8')) as { references: { path: string }[] };
    return build.references.every(({ path: dir }) => {
      let builtAt: number;
      try {
        builtAt = statSync(path.join(root, dir, 'dist', '.tsbuildinfo')).mtimeMs;
      } catch {
        return false;
      }
      return newestIn(path.join(root, dir, 'src')) <= builtAt;
    });
  })();
  return fresh;
}

function newestIn(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(file) : statSync(file).mtimeMs);
  }
  return newest;
}
