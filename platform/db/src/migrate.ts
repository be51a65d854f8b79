import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';

/** Forward-only: a migration has `up` and no `down`. Roll forward with a new migration instead. */
export type ForwardMigration = Pick<Migration, 'up'>;
/** Migrations by name; names sort in the order they run (e.g. `0001_products`). */
export type MigrationSet = Record<string, ForwardMigration>;

class InCodeProvider implements MigrationProvider {
  constructor(private readonly set: MigrationSet) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return this.set;
  }
}

/**
 * Runs every pending migration under Kysely's migration lock (an advisory lock, in one
 * transaction with the migrations: all pending ones apply, or none), so replicas starting
 * together never run one twice. Several sets (the service's own and the
 * platform's outbox/inbox) share one database, each with its own history table.
 */
export async function migrate(db: Kysely<any>, set: MigrationSet, table = 'schema_migrations'): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: new InCodeProvider(set),
    migrationTableName: table,
    migrationLockTableName: `${table}_lock`,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
