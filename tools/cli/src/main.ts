#!/usr/bin/env node
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '@emporium/config';
import { databaseUrl, ensureDatabase, migrate } from '@emporium/db';
import { createDb } from '@emporium/db';
import { bootstrapAdminCommand, rotateKeysCommand } from '@emporium/identity';
import { inboxMigrations, outboxMigrations } from '@emporium/messaging';
import { configReference } from './config-docs.js';
import { embeddedSecrets, tokenCommand } from './dev-secrets.js';
import { invariantsCommand } from './invariants.js';
import { parkedCommand } from './parked.js';
import { BROKER_DATABASE, databaseName, SERVICES, SYSTEM } from './services.js';
import { startDistributed } from './start-distributed.js';
import { startEmbedded } from './start-embedded.js';

const root = path.resolve(import.meta.dirname, '../../..');
const [command = 'start', ...rest] = process.argv.slice(2);
const { values, positionals } = parseArgs({
  args: rest,
  allowPositionals: true,
  options: {
    clean: { type: 'boolean', default: false },
    'data-dir': { type: 'string', default: process.env.EMPORIUM_DATA_DIR ?? path.join(root, '.emporium') },
    'port-base': { type: 'string', default: process.env.EMPORIUM_PORT_BASE ?? '3000' },
    'pg-port': { type: 'string', default: process.env.EMPORIUM_PG_PORT ?? '54320' },
    'log-level': { type: 'string', default: process.env.LOG_LEVEL ?? 'info' },
  },
});
const portBase = Number(values['port-base']);
const pgPort = Number(values['pg-port']);

function printUrls(mode: string, urls: Record<string, string>) {
  const sandbox = new Set(SYSTEM.filter((e) => e.sandbox).map((e) => e.module.name));
  const lines = [
    `\nEmporium is running (${mode}).`,
    `  gateway            ${urls.gateway}   ← start here: ${urls.gateway}/api/catalog/products`,
  ];
  for (const [name, url] of Object.entries(urls)) {
    if (name !== 'gateway' && !sandbox.has(name)) lines.push(`  ${name.padEnd(18)} ${url}   (${url}/docs, ${url}/metrics)`);
  }
  lines.push('  test doubles of third parties:');
  for (const [name, url] of Object.entries(urls)) if (sandbox.has(name)) lines.push(`  ${name.padEnd(18)} ${url}`);
  lines.push('Stop with Ctrl-C.\n');
  process.stdout.write(`${lines.join('\n')}\n`);
}

function untilSignal(stop: () => Promise<void>) {
  let stopping = false;
  const onSignal = async () => {
    if (stopping) return;
    stopping = true;
    await stop();
    process.exit(0);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

async function main(): Promise<number> {
  switch (command) {
    case 'start': {
      const running = await startEmbedded({
        dataDir: path.resolve(values['data-dir']),
        clean: values.clean,
        portBase,
        pgPort,
        logLevel: values['log-level'],
      });
      printUrls('embedded', running.urls);
      untilSignal(running.stop);
      return -1;
    }
    case 'distributed': {
      const serverUrl = process.env.DATABASE_SERVER_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
      const running = await startDistributed({
        root,
        databaseUrlOf: async (service) => {
          await ensureDatabase(serverUrl, databaseName(service));
          return databaseUrl(serverUrl, databaseName(service));
        },
        amqp: { url: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672' },
        // Its databases outlive a restart, so its secrets do too (identity's keys are encrypted with one).
        secrets: embeddedSecrets(path.resolve(values['data-dir'])),
        // Each service its own database role and broker user (least-privilege.ts), made with rabbitmqctl.
        leastPrivilege: process.env.RABBITMQCTL ? { rabbitmqctl: process.env.RABBITMQCTL } : {},
        portBase,
        logLevel: values['log-level'],
        demo: true,
      });
      printUrls('distributed', running.urls);
      untilSignal(running.stop);
      return -1;
    }
    case 'parked':
      return parkedCommand(
        positionals,
        process.env,
        databaseUrl(`postgres://postgres:emporium@127.0.0.1:${pgPort}/postgres`, BROKER_DATABASE),
      );
    case 'invariants':
      return invariantsCommand(process.env, { portBase, pgPort });
    case 'migrate': {
      const [name] = positionals;
      const entry = SERVICES.find((s) => s.module.name === name);
      if (!entry?.module.migrations) {
        process.stderr.write(
          `usage: emporium migrate <${SERVICES.filter((s) => s.module.migrations)
            .map((s) => s.module.name)
            .join('|')}> (with DATABASE_URL)\n`,
        );
        return 64;
      }
      if (!process.env.DATABASE_URL) throw new ConfigError('DATABASE_URL', 'is required');
      const db = createDb(process.env.DATABASE_URL, { max: 1 });
      try {
        await migrate(db, { ...outboxMigrations, ...inboxMigrations }, 'platform_migrations');
        const applied = await migrate(db, entry.module.migrations, 'schema_migrations');
        process.stdout.write(`${name}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}\n`);
      } finally {
        await db.destroy();
      }
      return 0;
    }
    case 'config-docs':
      process.stdout.write(configReference());
      return 0;
    case 'token':
      return tokenCommand(positionals, path.resolve(values['data-dir']), portBase);
    case 'bootstrap-admin':
      // The first admin of a new system (DATABASE_URL of identity); refused once an admin exists.
      return bootstrapAdminCommand(process.env, positionals[0], {
        out: (line) => process.stdout.write(`${line}\n`),
        err: (line) => process.stderr.write(`${line}\n`),
      });
    case 'rotate-keys':
      // One rotation of identity's signing keys (DATABASE_URL of identity, IDENTITY_OIDC_KEY_ENCRYPTION_KEY);
      // the running replicas pick it up without a restart.
      return rotateKeysCommand(process.env, {
        out: (line) => process.stdout.write(`${line}\n`),
        err: (line) => process.stderr.write(`${line}\n`),
      });
    default:
      process.stderr.write(
        'usage: emporium start [--clean] | token customer <id> [service] | distributed | parked list|replay <queue> | invariants [--port-base n] | migrate <service> | config-docs | bootstrap-admin <email> | rotate-keys (with DATABASE_URL, IDENTITY_OIDC_KEY_ENCRYPTION_KEY)\n',
      );
      return 64;
  }
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`emporium: invalid configuration: ${error.message}\n`);
      process.exit(78);
    }
    process.stderr.write(`emporium: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
