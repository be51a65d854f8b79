import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '@emporium/db';
import { freePort } from './ports.js';

/**
 * Gives every test worker a PostgreSQL server: the real one named by TEST_DATABASE_URL in real
 * mode, otherwise an embedded PostgreSQL started here for the run and removed after it.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const mode = process.env.EMPORIUM_TEST_MODE === 'real' ? 'real' : 'embedded';
  if (mode === 'real') {
    if (!process.env.TEST_DATABASE_URL || !process.env.TEST_AMQP_URL) {
      throw new Error('EMPORIUM_TEST_MODE=real needs TEST_DATABASE_URL and TEST_AMQP_URL');
    }
    return async () => {};
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
