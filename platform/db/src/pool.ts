import { createHash } from 'node:crypto';
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
  /**
   * Parameterized statements become named prepared statements, parsed and planned once per
   * connection (default true; see preparedStatements). Off, every statement is parsed each time.
   */
  prepareStatements?: boolean;
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
  if (options.prepareStatements !== false) pool.on('connect', preparedStatements);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return Object.assign(db, { pool, url }) as Db<DB>;
}

export async function closeDb(db: Db<unknown>): Promise<void> {
  await db.destroy();
}

/** Per connection: beyond this many distinct statements, the rest are sent unnamed (bounded server memory). */
const MAX_PREPARED_PER_CONNECTION = 256;

/** PostgreSQL's answer when a prepared `SELECT *` / `RETURNING *` meets a table whose columns changed (a migration of a newer version). */
export function isStalePreparedStatement(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  return e?.code === '0A000' && /cached plan must not change result type/.test(e.message ?? '');
}

/**
 * Makes every parameterized statement of this connection a named prepared statement (the name a
 * hash of its text): PostgreSQL parses and plans it once per connection instead of on every call.
 * Measured on the checkout benchmark: the services' PostgreSQL backends spent ~40% less CPU per
 * order. Statements without parameters (BEGIN, COMMIT, LISTEN) go as they are.
 *
 * A prepared `SELECT *` fails once a migration changes the table's columns (a newer version
 * started beside this one): that error is retryable (isRetryableTransactionError), and the
 * connection forgets its statements (DEALLOCATE ALL) before its next one, so the retry prepares
 * them afresh.
 */
function preparedStatements(client: pg.PoolClient): void {
  type Query = (...args: unknown[]) => Promise<unknown> | undefined;
  const send = client.query.bind(client) as Query;
  const names = new Map<string, string>();
  let stale = false;
  const nameOf = (text: string) => {
    let name = names.get(text);
    if (name === undefined && names.size < MAX_PREPARED_PER_CONNECTION) {
      name = `e_${createHash('sha1').update(text).digest('base64url').slice(0, 24)}`;
      names.set(text, name);
    }
    return name;
  };
  const forget = async () => {
    stale = false;
    names.clear();
    const connection = (client as unknown as { connection: { parsedStatements: Record<string, string> } }).connection;
    connection.parsedStatements = {};
    await send('DEALLOCATE ALL');
  };
  const named: Query = (text, values, callback) => {
    const name = typeof text === 'string' && Array.isArray(values) && values.length > 0 ? nameOf(text) : undefined;
    if (name === undefined || typeof callback === 'function') return send(text, values, callback);
    const run = async () => {
      if (stale) await forget();
      try {
        return await send({ name, text, values });
      } catch (error) {
        if (isStalePreparedStatement(error)) stale = true;
        throw error;
      }
    };
    return run();
  };
  (client as unknown as { query: Query }).query = named;
}
