import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createLogger, tracingConfigured } from '@emporium/observability';
import { issuerOf, linksFor, newSecrets, SYSTEM, type SystemEntry, type SystemSecrets } from './services.js';
import { seedDemoStock } from './system.js';
import { type SystemTokens, systemTokens } from './tokens.js';

export interface DistributedOptions {
  /** The repository root (parts are started from `<root>/<dir>`). */
  root: string;
  /** The database URL of a service that owns one (created by the caller's means). */
  databaseUrlOf(service: string): Promise<string>;
  amqp: { url: string; exchange?: string; queuePrefix?: string };
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
  /** Sends a signal to one part (default SIGKILL: a crash) and waits until it is gone. */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a part that is not running and waits until it is ready. */
  start(name: string): Promise<void>;
  /** What a captured part wrote, across its restarts (the last 200 KB). */
  output(name: string): string;
  running(name: string): boolean;
  /** SIGTERM to every part, in reverse start order, each drained before the next. */
  stop(): Promise<void>;
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
    if (entry.module.migrations || entry.module.consumes || entry.module.publishes) {
      env.AMQP_URL = options.amqp.url;
      if (options.amqp.exchange) env.AMQP_EXCHANGE = options.amqp.exchange;
      if (options.amqp.queuePrefix) env.AMQP_QUEUE_PREFIX = options.amqp.queuePrefix;
    }
    if (entry.module.migrations) env.DATABASE_URL = await options.databaseUrlOf(name);
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

  async function kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = children.get(name);
    if (!child) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await gone;
  }

  const stop = async () => {
    for (const entry of [...SYSTEM].reverse()) await kill(entry.module.name, 'SIGTERM');
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
    await stop();
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
  };
}
