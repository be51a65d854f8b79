export { createDb, type Db, type DbOptions, closeDb } from './pool.js';
export { migrate, type MigrationSet, type ForwardMigration } from './migrate.js';
export { ensureDatabase, databaseUrl, dropDatabase } from './admin.js';
export { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded.js';
export { inTransaction, isRetryableTransactionError, isUniqueViolation } from './transaction.js';
export {
  sql,
  type Expression,
  type Kysely,
  type Transaction,
  type Selectable,
  type Insertable,
  type Generated,
  type ColumnType,
} from 'kysely';
export { keysetCursor, type KeysetPosition } from './keyset-cursor.js';
