import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { databaseUrl, ensureDatabase } from '@emporium/db';
import { databaseName, SERVICES } from './services.js';

/**
 * The distributed mode on one machine: each service its own process (`node
 * services/<name>/dist/main.js`), its own database on the given PostgreSQL, RabbitMQ between them.
 */
export async function startDistributed(options: {
  root: string;
  databaseServerUrl: string;
  amqpUrl: string;
  portBase: number;
  logLevel: string;
}): Promise<{
  stop(): Promise<void>;
  urls: Record<string, string>;
}> {
  const urls: Record<string, string> = {};
  const children: ChildProcess[] = [];
  for (const entry of SERVICES) urls[entry.module.name] = `http://127.0.0.1:${options.portBase + entry.offset}`;
  for (const entry of [...SERVICES].sort((a, b) => (a.links ? 1 : 0) - (b.links ? 1 : 0))) {
    const name = entry.module.name;
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      PORT: String(options.portBase + entry.offset),
      LOG_LEVEL: options.logLevel,
      AMQP_URL: options.amqpUrl,
      ...(entry.links?.(urls) ?? {}),
    };
    if (entry.module.migrations) {
      await ensureDatabase(options.databaseServerUrl, databaseName(name));
      env.DATABASE_URL = databaseUrl(options.databaseServerUrl, databaseName(name));
    }
    const child = spawn(process.execPath, [path.join(options.root, 'services', name, 'dist', 'main.js')], {
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push(child);
    child.on('exit', (code, signal) => {
      if (code !== 0 && signal !== 'SIGTERM') process.stderr.write(`${name} exited (${code ?? signal})\n`);
    });
  }
  return {
    urls,
    stop: async () => {
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null) return resolve();
              c.once('exit', () => resolve());
              c.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
