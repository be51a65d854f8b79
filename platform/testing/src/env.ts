import { randomBytes } from 'node:crypto';
import { databaseUrl, ensureDatabase } from '@emporium/db';

export type TestMode = 'embedded' | 'real';

export function testMode(): TestMode {
  return process.env.EMPORIUM_TEST_MODE === 'real' ? 'real' : 'embedded';
}

/** The PostgreSQL server of this run (embedded or real), as a URL to its `postgres` database. */
export function testServerUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the tests through `npm test` (global setup)');
  return url;
}

export function testAmqpUrl(): string {
  const url = process.env.TEST_AMQP_URL;
  if (!url) throw new Error('TEST_AMQP_URL is not set (real mode)');
  return url;
}

/** A short random suffix so every test owns its data (no global cleanup). */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** A fresh database of its own for one test file or test; returns its URL. */
export async function createTestDatabase(prefix = 'test'): Promise<string> {
  // Every database of one run starts with the run's tag, so the global teardown can drop them all.
  const name = `${process.env.EMPORIUM_TEST_RUN ?? ''}${uniqueName(prefix.replace(/[^a-z0-9_]/g, '_'))}`.slice(0, 63);
  const server = testServerUrl();
  await ensureDatabase(server, name);
  return databaseUrl(server, name);
}
