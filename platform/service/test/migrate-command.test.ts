/**
 * `node <dir>/dist/main.js migrate`: what a Kubernetes init container runs before a new version
 * serves. It applies the migrations with DATABASE_URL alone and exits; it starts nothing else.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { createDb, sql } from '@emporium/db';
import { createTestDatabase } from '@emporium/testing';
import { describe, expect, it } from 'vitest';

const child = path.join(import.meta.dirname, 'migrate-child.ts');

function runMigrate(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const inherited = { ...process.env };
  delete inherited.DATABASE_URL;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=@emporium/source', '--import', 'tsx', child, 'migrate'],
      { env: { ...inherited, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

async function tablesOf(url: string): Promise<string[]> {
  const db = createDb<any>(url, { max: 1 });
  try {
    const r = await sql<{ name: string }>`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`.execute(db);
    return r.rows.map((row) => row.name);
  } finally {
    await db.destroy();
  }
}

describe('the migrate command', () => {
  it('when run with only DATABASE_URL, then the platform and service migrations are applied, nothing is started, and it exits 0; a second run changes nothing', async () => {
    const url = await createTestDatabase('migrate_cmd');
    const first = await runMigrate({ DATABASE_URL: url });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('widgets: applied 0001_widgets\n');
    expect(await tablesOf(url)).toEqual(expect.arrayContaining(['widgets', 'outbox', 'inbox', 'schema_migrations', 'platform_migrations']));

    const again = await runMigrate({ DATABASE_URL: url });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('widgets: migrations up to date\n');
  });

  it('when the database cannot be reached, then it exits 1 with one line saying so', async () => {
    const result = await runMigrate({ DATABASE_URL: 'postgres://root@127.0.0.1:1/nowhere' });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^widgets: migrations failed: .+\n$/);
    expect(result.stderr.split('\n')).toHaveLength(2);
  });

  it('when DATABASE_URL is missing, then it exits 78 with one line naming the variable', async () => {
    const result = await runMigrate({});
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/^widgets: invalid configuration: DATABASE_URL: is required[^\n]*\n$/);
  });

  it('when the service owns no database, then there is nothing to do and it exits 0', async () => {
    const result = await runMigrate({ CHILD_WITHOUT_MIGRATIONS: '1' });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('widgets: no migrations\n');
  });
});
