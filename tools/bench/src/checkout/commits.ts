import pg from 'pg';

/** A point in the run: the WAL position and every run database's transaction counter. */
export interface CommitMark {
  lsn: string;
  xactCommit: Map<string, number>;
  /** Deadlocks PostgreSQL broke (each after deadlock_timeout, 1 s by default). */
  deadlocks: Map<string, number>;
}

/**
 * Counts the run's database commits between two marks, two ways:
 *
 * - durable: write transactions committed in the run's databases, read from the WAL itself with
 *   pg_walinspect (a COMMIT record whose transaction changed a block of one of those databases).
 *   That is what a commit costs the server — a WAL flush — and it ignores everything else on the
 *   shared server (other systems and tests write WAL too). A temporary physical replication slot
 *   keeps the window's WAL from being recycled by a checkpoint before it is read.
 * - all: pg_stat_database.xact_commit, which also counts every read-only statement (the polls of
 *   GET /api/orders/:id, the relays' and workers' empty polls). Backends flush these counters
 *   about once a second under load, so a mark taken under steady load lags by about as much at
 *   both ends and the difference holds.
 */
export class CommitMeter {
  private constructor(
    private readonly client: pg.Client,
    private readonly databases: string[],
    readonly walinspect: boolean,
  ) {}

  /** `url` names a scratch database of the run (the extension is created there and dropped with it). */
  static async open(url: string, databases: string[], slotName: string): Promise<CommitMeter> {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => {}); // the cleanup drops this database; its queries fail, not the process
    await client.connect();
    let walinspect = true;
    try {
      await client.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect');
      await client.query('SELECT pg_create_physical_replication_slot($1, true, true)', [slotName]);
    } catch (error) {
      walinspect = false;
      console.warn(`durable commits cannot be read from the WAL (${(error as Error).message}); counting all transactions instead`);
    }
    return new CommitMeter(client, databases, walinspect);
  }

  async mark(): Promise<CommitMark> {
    await this.client.query('SELECT pg_stat_clear_snapshot()');
    const stats = await this.client.query<{ datname: string; xact_commit: string; deadlocks: string }>(
      'SELECT datname, xact_commit, deadlocks FROM pg_stat_database WHERE datname = ANY($1)',
      [this.databases],
    );
    const lsn = await this.client.query<{ lsn: string }>('SELECT pg_current_wal_flush_lsn()::text AS lsn');
    return {
      lsn: lsn.rows[0]?.lsn as string,
      xactCommit: new Map(stats.rows.map((r) => [r.datname, Number(r.xact_commit)])),
      deadlocks: new Map(stats.rows.map((r) => [r.datname, Number(r.deadlocks)])),
    };
  }

  /** All committed transactions per database between the marks (reads included). */
  allBetween(a: CommitMark, b: CommitMark): Map<string, number> {
    return new Map(this.databases.map((d) => [d, (b.xactCommit.get(d) ?? 0) - (a.xactCommit.get(d) ?? 0)]));
  }

  /** Deadlocks per database between the marks. */
  deadlocksBetween(a: CommitMark, b: CommitMark): Map<string, number> {
    return new Map(this.databases.map((d) => [d, (b.deadlocks.get(d) ?? 0) - (a.deadlocks.get(d) ?? 0)]));
  }

  /** Durable (write) commits per database between the marks, from the WAL; undefined without pg_walinspect. */
  async durableBetween(a: CommitMark, b: CommitMark): Promise<Map<string, number> | undefined> {
    if (!this.walinspect) return undefined;
    // xid has no ordering operator: compare it as text. A record's block_ref names
    // "rel <tablespace>/<database oid>/<relation>"; a transaction stays in one database.
    const { rows } = await this.client.query<{ datname: string; commits: number }>(
      `WITH r AS (
         SELECT xid::text AS xid, resource_manager, record_type, block_ref
           FROM pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn)
          WHERE xid <> '0'::xid),
       committed AS (
         SELECT DISTINCT xid FROM r WHERE resource_manager = 'Transaction' AND record_type IN ('COMMIT', 'COMMIT_PREPARED')),
       touched AS (
         SELECT DISTINCT xid, substring(block_ref FROM 'rel \\d+/(\\d+)/')::oid AS db FROM r WHERE block_ref LIKE '%rel %')
       SELECT d.datname, count(*)::int AS commits
         FROM touched t JOIN committed c USING (xid) JOIN pg_database d ON d.oid = t.db
        WHERE d.datname = ANY($3)
        GROUP BY d.datname`,
      [a.lsn, b.lsn, this.databases],
    );
    return new Map(this.databases.map((d) => [d, rows.find((r) => r.datname === d)?.commits ?? 0]));
  }

  /** Ends the session, which drops the temporary slot. */
  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }
}
