import { parseArgs } from 'node:util';

export interface CheckoutBenchOptions {
  customers: number;
  /**
   * Not measured. 20 s: the services start cold and their hot paths get compiled under load;
   * on this 2-core machine orders/s still rose for about 20 s after the first order.
   */
  warmupS: number;
  durationS: number;
  /** How many demo SKUs the orders are spread over (1 makes one stock row the hot spot). */
  skus: number;
  /**
   * The least wait before an order's first status read (later reads wait on the server with
   * If-None-Match + Prefer: wait), and the pause after a failed read. 50 ms.
   */
  pollMs: number;
  ceilingS: number;
  /**
   * Connections of the ceiling measurement. 16: group commit is at its best by then on 2 cores
   * (16 and 32 measured alike), and the shared server allows 100 connections in all.
   */
  ceilingConnections: number;
  serverUrl: string;
  amqpUrl: string;
  /** Extra settings per service, e.g. `payments.PAYMENTS_WORKER_POLL_MS=50`. */
  env: Record<string, Record<string, string>>;
  /** A folder to write every part's captured output into, for a closer look. */
  dumpLogs?: string;
}

const USAGE = `npm run bench:checkout -- [options]   (each also as an environment variable)
  --customers N        concurrent customers                        BENCH_CUSTOMERS   (32)
  --duration S         measured seconds                            BENCH_DURATION_S  (30)
  --warmup S           unmeasured seconds before                   BENCH_WARMUP_S    (20)
  --skus N             demo SKUs the orders are spread over        BENCH_SKUS        (8)
  --poll-ms MS         least wait before the first status read     BENCH_POLL_MS     (50)
  --ceiling S          seconds of the commit ceiling measurement   BENCH_CEILING_S   (5)
  --ceiling-connections N  its connections                         BENCH_CEILING_CONNECTIONS (16)
  --database-url URL   PostgreSQL server                           DATABASE_SERVER_URL (postgres://root@127.0.0.1:5432/postgres)
  --amqp-url URL       RabbitMQ                                    AMQP_URL          (amqp://guest:guest@127.0.0.1:5672)
  --set svc.VAR=VALUE  a setting for one service (repeatable), e.g. --set payments.PAYMENTS_WORKER_POLL_MS=50
  --dump-logs DIR      write every part's output (kept at warn level unless --set svc.LOG_LEVEL=…) into DIR`;

/** Flags first, then the environment, then the defaults; a bad number stops with one line. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): CheckoutBenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      customers: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      skus: { type: 'string' },
      'poll-ms': { type: 'string' },
      ceiling: { type: 'string' },
      'ceiling-connections': { type: 'string' },
      'database-url': { type: 'string' },
      'amqp-url': { type: 'string' },
      set: { type: 'string', multiple: true },
      'dump-logs': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const num = (name: string, raw: string | undefined, fallback: number, min: number) => {
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number ≥ ${min} (got ${raw})\n${USAGE}`);
    return n;
  };
  const set: Record<string, Record<string, string>> = {};
  for (const item of values.set ?? []) {
    const m = /^([a-z-]+)\.([A-Z0-9_]+)=(.*)$/.exec(item);
    if (!m) throw new Error(`--set wants service.VARIABLE=value (got ${item})`);
    const [, service, name, value] = m as unknown as [string, string, string, string];
    set[service] = { ...(set[service] ?? {}), [name]: value };
  }
  return {
    customers: Math.floor(num('--customers', values.customers ?? env.BENCH_CUSTOMERS, 32, 1)),
    durationS: num('--duration', values.duration ?? env.BENCH_DURATION_S, 30, 1),
    warmupS: num('--warmup', values.warmup ?? env.BENCH_WARMUP_S, 20, 0),
    skus: Math.floor(num('--skus', values.skus ?? env.BENCH_SKUS, 8, 1)),
    pollMs: num('--poll-ms', values['poll-ms'] ?? env.BENCH_POLL_MS, 50, 1),
    ceilingS: num('--ceiling', values.ceiling ?? env.BENCH_CEILING_S, 5, 1),
    ceilingConnections: Math.floor(num('--ceiling-connections', values['ceiling-connections'] ?? env.BENCH_CEILING_CONNECTIONS, 16, 1)),
    serverUrl: values['database-url'] ?? env.DATABASE_SERVER_URL ?? 'postgres://root@127.0.0.1:5432/postgres',
    amqpUrl: values['amqp-url'] ?? env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    env: set,
    ...(values['dump-logs'] ? { dumpLogs: values['dump-logs'] } : {}),
  };
}
