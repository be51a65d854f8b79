import { type Db, sql } from '@emporium/db';
import { endSpanWithError, type Logger, type Metrics, type Span, startPublishSpan } from '@emporium/observability';
import type { Envelope } from './envelope.js';
import { OUTBOX_CHANNEL } from './outbox.js';
import type { Transport } from './transport.js';
import { NotifyWaker } from './waker.js';

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
  private waker: NotifyWaker;
  private lastPurge = 0;
  private readonly published;
  private readonly failures;

  constructor(private readonly options: RelayOptions) {
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.retentionMs = options.retentionMs ?? 24 * 3600_000;
    this.waker = new NotifyWaker(options.db.pool, OUTBOX_CHANNEL, options.logger);
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
    this.waker = new NotifyWaker(this.options.db.pool, OUTBOX_CHANNEL, this.options.logger);
    this.loop = this.run();
  }

  /** Stops after the batch in hand; unpublished rows stay in the outbox for the next start. */
  async stop(): Promise<void> {
    this.running = false;
    this.waker.wake();
    await this.loop;
    await this.waker.close();
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
      const traced = this.traced(rows.rows.map((r) => r.envelope));
      try {
        await this.options.transport.publish(traced.envelopes);
        for (const span of traced.spans) span.end();
      } catch (error) {
        for (const span of traced.spans) endSpanWithError(span, error);
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

  /**
   * One PRODUCER span per message, the child of the context the message was created in (stored
   * with it), and the published copy carries the span's own context: the consumer's span becomes
   * its child, so request → publish → process reads as one trace. Without tracing: no spans, and
   * the envelopes go out as stored.
   */
  private traced(envelopes: Envelope[]): { envelopes: Envelope[]; spans: Span[] } {
    const spans: Span[] = [];
    const system = this.options.transport.kind === 'rabbitmq' ? 'rabbitmq' : 'emporium_embedded';
    const out = envelopes.map((e) => {
      const publish = startPublishSpan(system, e);
      if (!publish) return e;
      spans.push(publish.span);
      const { traceparent: _, tracestate: __, ...rest } = e;
      return { ...rest, ...publish.carrier };
    });
    return { envelopes: out, spans };
  }

  private async run(): Promise<void> {
    let backoff = 0;
    await this.waker.listen();
    while (this.running) {
      let count = 0;
      this.waker.beginWork();
      try {
        count = await this.publishBatch();
        backoff = 0;
        await this.purgeIfDue();
      } catch (error) {
        backoff = Math.min(this.maxBackoffMs, backoff ? backoff * 2 : 100);
        this.options.logger.warn({ err: error, retryInMs: backoff }, 'outbox relay: publish failed; backing off');
        await this.waker.idle(backoff);
        continue;
      }
      if (count < this.batchSize && this.running) await this.waker.idle(this.pollIntervalMs);
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
