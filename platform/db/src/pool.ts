import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';

// BIGINT and NUMERIC come back as strings by default; counts and money amounts here fit in a
// JavaScript number (minor units), so bigint (int8) is parsed to number.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

export interface DbOptions {
  /** Pool size; each service sizes its own. */
  max?: number;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
  /** Statement timeout in ms, so a frozen peer never holds a connection for ever. */
  statementTimeoutMs?: number;
  onError?: (error: Error) => void;
}

export type Db<DB> = Kysely<DB> & { readonly pool: pg.Pool; readonly url: string };

/** A typed Kysely instance over a pg Pool. The pool is reachable for LISTEN and health checks. */
export function createDb<DB>(url: string, options: DbOptions = {}): Db<DB> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
  });
  // An idle client whose server went away emits 'error' on the pool: without a listener the
  // process would crash on a database restart (F15).
  pool.on('error', (error) => options.onError?.(error));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return Object.assign(db, { pool, url }) as Db<DB>;
}

export async function closeDb(db: Db<unknown>): Promise<void> {
  await db.destroy();
}
