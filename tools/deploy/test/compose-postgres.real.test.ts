/**
 * deploy/compose/postgres/init.sh against a real PostgreSQL 15, as the image runs it at first
 * start (psql as the administrator): with the verifiers the generator made, every service gets a
 * role that logs in with its DATABASE_URL's password, owns its database, reaches no other, and can
 * do nothing else. Run again, it gives the roles new verifiers and breaks nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDb } from '@emporium/db';
import { testServerUrl, uniqueName } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPOSE_DIR, envPrefixOf, partsWithDatabase, readEnvFile, writeComposeSecrets } from '../src/compose/secrets.js';

const INIT = path.join(COMPOSE_DIR, 'postgres/init.sh');
const SERVICES = partsWithDatabase().map((e) => e.module.name);
const havePsql = spawnSync('psql', ['--version'], { stdio: 'ignore' }).status === 0;
if (!havePsql) process.stderr.write('\n!!! psql is not installed: init.sh cannot run. Install it: apt-get install -y postgresql-client\n');

/** `<system>_<service>`, as init.sh names role and database. */
const system = `${process.env.EMPORIUM_TEST_RUN ?? ''}${uniqueName('compose')}`.toLowerCase();
const nameOf = (service: string) => `${system}_${service.replace(/-/g, '_')}`;

function runInit(env: Record<string, string>): { status: number | null; output: string } {
  const admin = new URL(testServerUrl());
  const roles = Object.fromEntries(
    SERVICES.map((s) => [`EMPORIUM_ROLE_${envPrefixOf(s)}`, env[`PG_VERIFIER_${envPrefixOf(s)}`] as string]),
  );
  const run = spawnSync('bash', [INIT], {
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      PATH: process.env.PATH,
      PGHOST: admin.hostname,
      PGPORT: admin.port || '5432',
      PGPASSWORD: decodeURIComponent(admin.password),
      POSTGRES_USER: decodeURIComponent(admin.username),
      EMPORIUM_SYSTEM: system,
      ...roles,
    },
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

async function sql(url: string, text: string, values: unknown[] = []): Promise<Record<string, unknown>[] | { code: string }> {
  const db = createDb(url, { max: 1, prepareStatements: false });
  try {
    return (await db.pool.query(text, values)).rows;
  } catch (error) {
    return { code: (error as { code: string }).code };
  } finally {
    await db.destroy();
  }
}

/** The service's URL: its role and password, its database, on the test server. */
function serviceUrl(service: string, password: string, database = nameOf(service)): string {
  const url = new URL(testServerUrl());
  url.username = nameOf(service);
  url.password = password;
  url.pathname = `/${database}`;
  return url.toString();
}

// init.sh is a psql script (PostgreSQL's image runs it with psql). Without psql it cannot run at
// all: a developer's real-server run says so loudly above and leaves this out; CI
// (EMPORIUM_REQUIRE_REAL=1) never skips it and fails instead.
describe.skipIf(!havePsql && process.env.EMPORIUM_REQUIRE_REAL !== '1')('compose: postgres/init.sh', () => {
  let dir: string;
  let env: Record<string, string>;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'emporium-compose-pg-'));
    writeComposeSecrets(dir);
    env = readEnvFile(dir);
  });

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    for (const service of SERVICES) {
      await sql(testServerUrl(), `DROP DATABASE IF EXISTS "${nameOf(service)}" WITH (FORCE)`);
      await sql(testServerUrl(), `DROP ROLE IF EXISTS "${nameOf(service)}"`);
    }
  });

  it('makes each service a role that owns its database and nothing more; the server keeps the verifier, not the password', async () => {
    const run = runInit(env);
    expect(run.status, run.output).toBe(0);
    for (const service of SERVICES) {
      const name = nameOf(service);
      const password = env[`${envPrefixOf(service)}_DB_PASSWORD`] as string;
      expect(await sql(serviceUrl(service, password), 'SELECT current_user AS role, current_database() AS db'), service).toEqual([
        { role: name, db: name },
      ]);
      const [role] = (await sql(
        testServerUrl(),
        `SELECT r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolreplication, r.rolbypassrls, a.rolpassword,
                (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1) AS owner
           FROM pg_roles r JOIN pg_authid a ON a.oid = r.oid WHERE r.rolname = $1`,
        [name],
      )) as Record<string, unknown>[];
      expect(role, service).toEqual({
        rolsuper: false,
        rolcreatedb: false,
        rolcreaterole: false,
        rolreplication: false,
        rolbypassrls: false,
        rolpassword: env[`PG_VERIFIER_${envPrefixOf(service)}`],
        owner: name,
      });
    }
  });

  it("refuses a service's role on another service's database", async () => {
    const password = env.ORDERS_DB_PASSWORD as string;
    expect(await sql(serviceUrl('orders', password, nameOf('payments')), 'SELECT 1')).toEqual({ code: '42501' });
  });

  it('gives the roles new verifiers when run again, keeping their databases', async () => {
    const other = mkdtempSync(path.join(tmpdir(), 'emporium-compose-pg-'));
    try {
      writeComposeSecrets(other);
      const next = readEnvFile(other);
      await sql(serviceUrl('catalog', env.CATALOG_DB_PASSWORD as string), 'CREATE TABLE kept (id int)');
      const run = runInit(next);
      expect(run.status, run.output).toBe(0);
      const rows = await sql(testServerUrl(), 'SELECT rolpassword FROM pg_authid WHERE rolname = $1', [nameOf('catalog')]);
      expect(rows).toEqual([{ rolpassword: next.PG_VERIFIER_CATALOG }]);
      expect(await sql(serviceUrl('catalog', next.CATALOG_DB_PASSWORD as string), 'SELECT count(*)::int AS n FROM kept')).toEqual([
        { n: 0 },
      ]);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('refuses a value that is not a SCRAM verifier (a password would be stored as given)', () => {
    const run = runInit({ ...env, PG_VERIFIER_ORDERS: 'a-plain-password' });
    expect(run.status).toBe(1);
    expect(run.output).toContain('EMPORIUM_ROLE_ORDERS is not a SCRAM-SHA-256 verifier');
  });
});
