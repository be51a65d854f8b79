import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { dropDatabase, startEmbeddedPostgres } from '@emporium/db';
import postgres from 'pg';
import { freePort } from './ports.js';

/**
 * Gives every test worker a PostgreSQL server: the real one named by TEST_DATABASE_URL in real
 * mode, otherwise an embedded PostgreSQL started here for the run and removed after it.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const mode = process.env.EMPORIUM_TEST_MODE === 'real' ? 'real' : 'embedded';
  if (mode === 'real') {
    const server = process.env.TEST_DATABASE_URL;
    if (!server || !process.env.TEST_AMQP_URL) {
      throw new Error('EMPORIUM_TEST_MODE=real needs TEST_DATABASE_URL and TEST_AMQP_URL');
    }
    // The shared server keeps what tests create: tag this run's databases and drop them after it.
    const tag = `t${randomBytes(3).toString('hex')}_`;
    process.env.EMPORIUM_TEST_RUN = tag;
    return async () => {
      const client = new postgres.Client({ connectionString: server });
      await client.connect();
      try {
        const rows = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [tag]);
        for (const { datname } of rows.rows) await dropDatabase(server, datname).catch(() => {});
      } finally {
        await client.end();
      }
    };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'emporium-test-pg-'));
  chmodSync(dir, 0o755); // as root, PostgreSQL runs as the `postgres` user, which must reach the folder
  const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'data'), port: await freePort() });
  process.env.TEST_DATABASE_URL = pg.url;
  return async () => {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
