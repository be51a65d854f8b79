import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createLogger, tracingConfigured } from '@emporium/observability';
import { queueSpecOf, type ServiceModule } from '@emporium/service';
import { createServiceAccounts, type ServiceAccounts, type ServiceNeeds } from './least-privilege.js';
import { issuerOf, linksFor, newSecrets, SYSTEM, type SystemEntry, type SystemSecrets } from './services.js';
import { seedDemoStock } from './system.js';
import { type SystemTokens, systemTokens } from './tokens.js';

export interface DistributedOptions {
  /** The repository root (parts are started from `<root>/<dir>`). */
  root: string;
  /**
   * The database of a service that owns one (created by the caller's means), as the administrator
   * reaches it: with least privilege, the service gets a role of its own on it instead.
   */
  databaseUrlOf(service: string): Promise<string>;
  /** The administrator's URL: with least privilege, each service gets a user of its own instead. */
  amqp: { url: string; exchange?: string; queuePrefix?: string };
  /**
   * Each service a PostgreSQL role that owns only its database and a RabbitMQ user limited to its
   * queues and message types, made at start and removed at stop (least-privilege.ts). On unless
   * `false`. `system` names the accounts (default: the queue prefix or exchange); `rabbitmqctl`
   * is the command that manages the broker's users (default `rabbitmqctl` on the PATH).
   */
  leastPrivilege?: false | { system?: string; rabbitmqctl?: string };
  portBase: number;
  logLevel: string;
  /** Demo data: the seed catalog and stock for it. */
  demo?: boolean;
  secrets?: SystemSecrets;
  /** Extra settings per part (tests: short timeouts). */
  env?: Record<string, Record<string, string>>;
  /**
   * `build`: `node <dir>/dist/main.js` (what `npm run start:distributed` runs);
   * `source`: the TypeScript sources through tsx (tests, no build needed).
   */
  from?: 'build' | 'source';
  /** `inherit`: children write to this terminal; `capture`: kept per part (tests read it on failure). */
  output?: 'inherit' | 'capture';
  /** How long a part may take to answer 200 on /readyz. */
  readyTimeoutMs?: number;
}

export interface DistributedSystem {
  urls: Record<string, string>;
  secrets: SystemSecrets;
  /** Access tokens signed with the system's issuer key (tools/cli tokens.ts). */
  tokens: SystemTokens;
  /**
   * Sends a signal to one part (default SIGKILL: a crash) and waits until it is gone; resolves
   * with how it ended (a drained SIGTERM exits with code 0).
   */
  kill(name: string, signal?: NodeJS.Signals): Promise<PartExit>;
  /** Starts a part that is not running and waits until it is ready. */
  start(name: string): Promise<void>;
  /** What a captured part wrote, across its restarts (the last 200 KB). */
  output(name: string): string;
  running(name: string): boolean;
  /** The DATABASE_URL and AMQP_URL a part was given (with its own credentials when least privilege is on). */
  connectionOf(name: string): { databaseUrl?: string; amqpUrl?: string };
  /** SIGTERM to every part, in reverse start order, each drained before the next; then removes the parts' accounts. */
  stop(): Promise<void>;
}

/** How a part's process ended: its exit code, or the signal that ended it. None: it was not running. */
export interface PartExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const OUTPUT_LIMIT = 200_000;

/**
 * The distributed mode on one machine: each part its own process, each service its own
 * database, RabbitMQ between them, real HTTP everywhere. Resolves when every part answers 200
 * on /readyz, so a caller gets a system that is ready for orders.
 */
export async function startDistributed(options: DistributedOptions): Promise<DistributedSystem> {
  const secrets = options.secrets ?? newSecrets();
  const links = linksFor(options.portBase, secrets);
  const tokens = systemTokens({ issuer: issuerOf(links), jwks: secrets.oidcJwks });
  const urls = Object.fromEntries(SYSTEM.map((e) => [e.module.name, links.url(e.module.name)]));
  const entries = new Map(SYSTEM.map((e) => [e.module.name, e]));
  const children = new Map<string, ChildProcess>();
  const outputs = new Map<string, string>();
  const envOf = new Map<string, Record<string, string>>();
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  // Every database first (the caller creates them): least privilege hands each to its own role.
  const databases = new Map(
    await Promise.all(
      SYSTEM.filter((e) => e.module.migrations).map(async (e) => [e.module.name, await options.databaseUrlOf(e.module.name)] as const),
    ),
  );
  const accounts = await accountsFor(options, databases);

  const entryOf = (name: string): SystemEntry => {
    const entry = entries.get(name);
    if (!entry) throw new Error(`no part of the system is called ${name}`);
    return entry;
  };

  async function settingsOf(entry: SystemEntry): Promise<Record<string, string>> {
    const name = entry.module.name;
    const known = envOf.get(name);
    if (known) return known;
    const env: Record<string, string> = {
      PORT: String(links.port(entry.offset)),
      HOST: '127.0.0.1',
      LOG_LEVEL: options.logLevel,
      ...(options.demo ? (entry.demoEnv ?? {}) : {}),
      ...(entry.env?.(links) ?? {}),
    };
    if (usesBroker(entry.module)) {
      env.AMQP_URL = accounts?.amqpUrl(name) ?? options.amqp.url;
      if (options.amqp.exchange) env.AMQP_EXCHANGE = options.amqp.exchange;
      if (options.amqp.queuePrefix) env.AMQP_QUEUE_PREFIX = options.amqp.queuePrefix;
      // Their own users may not configure the shared exchange: createServiceAccounts declared it.
      if (accounts) env.AMQP_DECLARE_EXCHANGE = 'false';
    }
    if (entry.module.migrations) env.DATABASE_URL = accounts?.databaseUrl(name) ?? (databases.get(name) as string);
    Object.assign(env, options.env?.[name] ?? {});
    envOf.set(name, env);
    return env;
  }

  async function start(name: string): Promise<void> {
    const entry = entryOf(name);
    if (children.has(name)) throw new Error(`${name} is already running`);
    const settings = await settingsOf(entry);
    const env = { ...(process.env as Record<string, string>), ...settings };
    // Each part is its own service in the traces (a name inherited from this process would merge them).
    if (!settings.OTEL_SERVICE_NAME) env.OTEL_SERVICE_NAME = name;
    // The tracing entry must load before the part's modules (ESM instrumentation hooks); without
    // an OTLP endpoint it is not loaded at all.
    const tracing = tracingConfigured(env) ? ['--import', '@emporium/observability/register'] : [];
    const args =
      options.from === 'source'
        ? ['--conditions=@emporium/source', '--import', 'tsx', ...tracing, path.join(options.root, entry.dir, 'src', 'main.ts')]
        : [...tracing, path.join(options.root, entry.dir, 'dist', 'main.js')];
    const capture = options.output === 'capture';
    const child = spawn(process.execPath, args, {
      cwd: options.root,
      env,
      stdio: ['ignore', capture ? 'pipe' : 'inherit', capture ? 'pipe' : 'inherit'],
    });
    children.set(name, child);
    const keep = (chunk: Buffer) => outputs.set(name, ((outputs.get(name) ?? '') + chunk.toString()).slice(-OUTPUT_LIMIT));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<string>((resolve) =>
      child.once('exit', (code, signal) => {
        if (children.get(name) === child) children.delete(name);
        if (!capture && code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGKILL')
          process.stderr.write(`${name} exited (${code ?? signal})\n`);
        resolve(`${name} exited (${code ?? signal}) before it was ready`);
      }),
    );
    const deadline = Date.now() + readyTimeoutMs;
    let gone: string | undefined;
    void exited.then((why) => {
      gone = why;
    });
    while (!gone) {
      const ready = await fetch(`${urls[name]}/readyz`, { signal: AbortSignal.timeout(1_000) })
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ready) return;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${name} was not ready within ${readyTimeoutMs} ms\n${(outputs.get(name) ?? '').slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${gone}\n${(outputs.get(name) ?? '').slice(-3000)}`);
  }

  async function kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<PartExit> {
    const child = children.get(name);
    if (!child) return { code: null, signal: null };
    const gone = new Promise<PartExit>((resolve) => child.once('exit', (code, sig) => resolve({ code, signal: sig })));
    child.kill(signal);
    return gone;
  }

  const stop = async () => {
    for (const entry of [...SYSTEM].reverse()) await kill(entry.module.name, 'SIGTERM');
    await accounts?.remove();
  };

  try {
    // No part needs another to start (links are URLs used per request): start them all at once.
    const started = await Promise.allSettled(SYSTEM.map((e) => start(e.module.name)));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (options.demo)
      await seedDemoStock(
        urls.inventory as string,
        tokens,
        createLogger({ service: 'emporium', level: options.logLevel, pretty: options.output !== 'capture' }),
      );
  } catch (error) {
    // The start's failure is what the caller needs to see, not a failed clean-up after it.
    await stop().catch(() => {});
    throw error;
  }
  return {
    urls,
    secrets,
    tokens,
    kill,
    start,
    stop,
    output: (name) => outputs.get(name) ?? '',
    running: (name) => children.has(name),
    connectionOf: (name) => {
      const env = envOf.get(name) ?? {};
      return {
        ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
        ...(env.AMQP_URL ? { amqpUrl: env.AMQP_URL } : {}),
      };
    },
  };
}

/** A part that talks to the broker: its config has AMQP_URL (identity and the gateway do not). */
const usesBroker = (module: ServiceModule<any, any>) => 'AMQP_URL' in module.configSchema;

/** What each service needs of PostgreSQL and RabbitMQ, from its module: the accounts made for it. */
function accountsFor(options: DistributedOptions, databases: Map<string, string>): Promise<ServiceAccounts | undefined> {
  if (options.leastPrivilege === false) return Promise.resolve(undefined);
  const exchange = options.amqp.exchange ?? 'emporium';
  const services: ServiceNeeds[] = SYSTEM.filter((e) => databases.has(e.module.name) || usesBroker(e.module)).map(({ module }) => {
    const queue = queueSpecOf(module, {});
    const databaseUrl = databases.get(module.name);
    return {
      name: module.name,
      ...(databaseUrl ? { databaseUrl } : {}),
      ...(usesBroker(module)
        ? { broker: { publishes: (module.publishes ?? []).map((m) => m.type), ...(queue ? { queue: { bindings: queue.bindings } } : {}) } }
        : {}),
    };
  });
  return createServiceAccounts({
    system: options.leastPrivilege?.system ?? options.amqp.queuePrefix ?? exchange,
    services,
    amqpUrl: options.amqp.url,
    exchange,
    queuePrefix: options.amqp.queuePrefix,
    ...(options.leastPrivilege?.rabbitmqctl ? { rabbitmqctl: options.leastPrivilege.rabbitmqctl } : {}),
  });
}
