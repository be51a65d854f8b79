import { type Db, sql } from '@emporium/db';
import type { Logger, Metrics } from '@emporium/observability';
import type pg from 'pg';
import type { Envelope } from './envelope.js';
import { OUTBOX_CHANNEL } from './outbox.js';
import type { Transport } from './transport.js';

export interface RelayOptions {
  db: Db<any>;
  transport: Transport;
  logger: Logger;
  metrics?: Metrics;
  /** Rows claimed and published per transaction (one window of publisher confirms). */
  batchSize?: number;
  /** Fallback poll when no NOTIFY arrives (a lost notification, a LISTEN connection down). */
  pollIntervalMs?: number;
  /** Longest wait between attempts while the broker is down. */
  maxBackoffMs?: number;
  /** Sent rows are kept this long (for inspection), then purged. */
  retentionMs?: number;
}

/**
 * Publishes the outbox. Each batch is claimed with FOR UPDATE SKIP LOCKED inside a transaction
 * that stays open while the broker confirms, then marked sent in the same transaction: several
 * relay replicas never claim the same row, and a relay that dies mid-batch releases its rows
 * (rolled back) for another to publish. A crash after the broker confirmed but before the commit
 * publishes those messages again — consumers are idempotent (inbox), so that costs nothing.
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly maxBackoffMs: number;
  private readonly retentionMs: number;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private notified = false;
  private listener: pg.PoolClient | undefined;
  private lastPurge = 0;
  private readonly published;
  private readonly failures;

  constructor(private readonly options: RelayOptions) {
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.retentionMs = options.retentionMs ?? 24 * 3600_000;
    const m = options.metrics;
    this.published = m?.counter('emporium_outbox_published_total', 'Outbox messages published and confirmed by the broker', ['type']);
    this.failures = m?.counter('emporium_outbox_publish_failures_total', 'Outbox batches the broker did not confirm');
    if (m) {
      const db = options.db;
      m.gauge('emporium_outbox_pending_messages', 'Outbox messages not yet published', [], async function () {
        const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL`.execute(db);
        this.set(r.rows[0]?.n ?? 0);
      });
      m.gauge('emporium_outbox_oldest_pending_age_seconds', 'Age of the oldest unpublished outbox message', [], async function () {
        const r = await sql<{ age: number | null }>`
          SELECT extract(epoch FROM now() - min(created_at))::float8 AS age FROM outbox WHERE sent_at IS NULL`.execute(db);
        this.set(r.rows[0]?.age ?? 0);
      });
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the batch in hand; unpublished rows stay in the outbox for the next start. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.unlisten();
  }

  /** Publishes one batch; returns how many messages it sent. */
  async publishBatch(): Promise<number> {
    let failure: unknown;
    const sent = await this.options.db.transaction().execute(async (trx) => {
      const rows = await sql<{ id: string; envelope: Envelope }>`
        SELECT id, envelope FROM outbox WHERE sent_at IS NULL ORDER BY seq
        LIMIT ${this.batchSize} FOR UPDATE SKIP LOCKED`.execute(trx);
      if (rows.rows.length === 0) return [];
      const ids = rows.rows.map((r) => r.id);
      try {
        await this.options.transport.publish(rows.rows.map((r) => r.envelope));
      } catch (error) {
        failure = error;
        await sql`UPDATE outbox SET publish_attempts = publish_attempts + 1, last_error = ${String((error as Error).message ?? error).slice(0, 500)}
          WHERE id = ANY(${ids}::uuid[])`.execute(trx);
        return [];
      }
      await sql`UPDATE outbox SET sent_at = now() WHERE id = ANY(${ids}::uuid[])`.execute(trx);
      return rows.rows;
    });
    if (failure) {
      this.failures?.inc();
      throw failure;
    }
    for (const r of sent) this.published?.inc({ type: r.envelope.type });
    return sent.length;
  }

  private async run(): Promise<void> {
    let backoff = 0;
    await this.listen();
    while (this.running) {
      let count = 0;
      this.notified = false;
      try {
        count = await this.publishBatch();
        backoff = 0;
        await this.purgeIfDue();
      } catch (error) {
        backoff = Math.min(this.maxBackoffMs, backoff ? backoff * 2 : 100);
        this.options.logger.warn({ err: error, retryInMs: backoff }, 'outbox relay: publish failed; backing off');
        await this.idle(backoff);
        continue;
      }
      if (count < this.batchSize) await this.idle(this.pollIntervalMs);
    }
  }

  /** Waits for a NOTIFY, the poll interval, or stop(). */
  private idle(ms: number): Promise<void> {
    // A NOTIFY that arrived while we were busy counts: do not sleep through it.
    if (!this.running || this.notified) return Promise.resolve();
    if (!this.listener) void this.listen();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async listen(): Promise<void> {
    if (this.listener || !this.running) return;
    try {
      const client = await this.options.db.pool.connect();
      client.on('notification', () => {
        this.notified = true;
        this.wake?.();
      });
      client.on('error', () => {
        // The LISTEN connection broke (database restart): fall back to polling; idle() re-listens.
        this.listener = undefined;
        client.release(true);
      });
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      this.listener = client;
    } catch (error) {
      this.options.logger.debug({ err: error }, 'outbox relay: LISTEN unavailable; polling');
    }
  }

  private async unlisten(): Promise<void> {
    const client = this.listener;
    this.listener = undefined;
    if (!client) return;
    try {
      await client.query(`UNLISTEN ${OUTBOX_CHANNEL}`);
      client.release();
    } catch {
      client.release(true);
    }
  }

  private async purgeIfDue(): Promise<void> {
    if (Date.now() - this.lastPurge < 60_000) return;
    this.lastPurge = Date.now();
    await sql`DELETE FROM outbox WHERE seq IN (
      SELECT seq FROM outbox WHERE sent_at < now() - make_interval(secs => ${this.retentionMs / 1000}) LIMIT 5000)`.execute(
      this.options.db,
    );
  }
}
