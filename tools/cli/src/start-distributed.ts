import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { databaseUrl, ensureDatabase } from '@emporium/db';
import { databaseName, linksFor, newSecrets, SYSTEM } from './services.js';

/**
 * The distributed mode on one machine: each part its own process (`node <dir>/dist/main.js`),
 * each service its own database on the given PostgreSQL, RabbitMQ between them.
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
  const links = linksFor(options.portBase, newSecrets());
  const urls = Object.fromEntries(SYSTEM.map((e) => [e.module.name, links.url(e.module.name)]));
  const children: ChildProcess[] = [];
  for (const entry of SYSTEM) {
    const name = entry.module.name;
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      PORT: String(links.port(entry.offset)),
      LOG_LEVEL: options.logLevel,
      ...(entry.env?.(links) ?? {}),
    };
    if (entry.module.migrations || entry.module.consumes || entry.module.publishes) env.AMQP_URL = options.amqpUrl;
    if (entry.module.migrations) {
      await ensureDatabase(options.databaseServerUrl, databaseName(name));
      env.DATABASE_URL = databaseUrl(options.databaseServerUrl, databaseName(name));
    }
    const child = spawn(process.execPath, [path.join(options.root, entry.dir, 'dist', 'main.js')], {
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
