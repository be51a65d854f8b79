import type { Kysely, Transaction } from 'kysely';
import { isStalePreparedStatement } from './pool.js';

/**
 * serialization_failure, deadlock_detected: the transaction may simply be run again (F15); so
 * may one whose prepared statement went stale under a migration (the connection re-prepares).
 */
export function isRetryableTransactionError(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code === '40001' || code === '40P01' || isStalePreparedStatement(error);
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: string; constraint?: string } | undefined;
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

/**
 * Runs `work` in a transaction and runs it again, a few times, when PostgreSQL reports a
 * serialization failure or a deadlock. `work` must be free of outside effects for that reason.
 */
export async function inTransaction<DB, T>(
  db: Kysely<DB>,
  work: (trx: Transaction<DB>) => Promise<T>,
  options: { isolation?: 'read committed' | 'repeatable read' | 'serializable'; attempts?: number } = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      const builder = options.isolation ? db.transaction().setIsolationLevel(options.isolation) : db.transaction();
      return await builder.execute(work);
    } catch (error) {
      if (attempt >= attempts || !isRetryableTransactionError(error)) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
    }
  }
}
