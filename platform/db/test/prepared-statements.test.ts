/**
 * Parameterized statements run as named prepared statements (parsed and planned once per
 * connection), and a migration that changes a table under a prepared `SELECT *` costs one retried
 * transaction, not a broken connection.
 */
import { createTestDatabase } from '@emporium/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDb, type Db, inTransaction, sql } from '../src/index.js';

let url: string;
const dbs: Db<any>[] = [];
const open = (options: Parameters<typeof createDb>[1] = {}) => {
  const db = createDb<any>(url, { max: 1, ...options });
  dbs.push(db);
  return db;
};
beforeAll(async () => {
  url = await createTestDatabase('prepared');
});
afterAll(async () => {
  for (const db of dbs) await db.destroy();
});

const preparedOnThisConnection = async (db: Db<any>) =>
  (await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements`.execute(db)).rows.map((r) => r.statement);

it('a statement with parameters is prepared once on its connection and reused; one without is not prepared', async () => {
  const db = open();
  await sql`CREATE TABLE IF NOT EXISTS things (id int PRIMARY KEY, name text)`.execute(db);
  for (let i = 0; i < 3; i++) await sql`INSERT INTO things (id, name) VALUES (${i}, ${`thing ${i}`})`.execute(db);
  await sql`SELECT count(*) FROM things`.execute(db);
  const prepared = await preparedOnThisConnection(db);
  expect(prepared.filter((s) => s.startsWith('INSERT INTO things'))).toHaveLength(1);
  expect(prepared.some((s) => s.startsWith('SELECT count(*) FROM things'))).toBe(false);
  expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM things WHERE id >= ${0}`.execute(db)).rows[0]?.n).toBe(3);

  const plain = open({ prepareStatements: false });
  await sql`SELECT name FROM things WHERE id = ${1}`.execute(plain);
  expect(await preparedOnThisConnection(plain)).toEqual([]);
});

it('when a migration adds a column under a prepared SELECT *, then the transaction is run again, re-prepared, and sees the new column', async () => {
  const db = open();
  const migrator = open({ prepareStatements: false });
  await sql`CREATE TABLE widgets (id int PRIMARY KEY)`.execute(migrator);
  await sql`INSERT INTO widgets (id) VALUES (1)`.execute(migrator);
  const read = () => inTransaction(db, (trx) => trx.selectFrom('widgets').selectAll().where('id', '=', 1).executeTakeFirstOrThrow());
  expect(await read()).toEqual({ id: 1 });

  await sql`ALTER TABLE widgets ADD COLUMN colour text NOT NULL DEFAULT 'blue'`.execute(migrator);
  // Without the retry and the DEALLOCATE this rejects: "cached plan must not change result type".
  expect(await read()).toEqual({ id: 1, colour: 'blue' });
  expect(await read()).toEqual({ id: 1, colour: 'blue' });
});
