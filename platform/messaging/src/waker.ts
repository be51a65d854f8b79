import type { Logger } from '@emporium/observability';
import type pg from 'pg';

/**
 * Sleeps until a PostgreSQL NOTIFY on `channel`, a timeout, or wake() — whichever comes first.
 * The relay and the embedded consumers use it to react at once to new work and to fall back to
 * polling when the LISTEN connection is down (it re-listens on the next idle()).
 */
export class NotifyWaker {
  private client: pg.PoolClient | undefined;
  private dropClient: ((destroy: boolean) => void) | undefined;
  private connecting: Promise<void> | undefined;
  private notified = false;
  private closed = false;
  private resolveIdle: (() => void) | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {}

  /** Call before looking for work: a notification that arrives from now on ends the next idle(). */
  beginWork(): void {
    this.notified = false;
  }

  wake(): void {
    this.notified = true;
    this.resolveIdle?.();
  }

  idle(ms: number): Promise<void> {
    // A NOTIFY that arrived while the caller was busy counts: do not sleep through it.
    if (this.closed || this.notified) return Promise.resolve();
    if (!this.client) void this.listen();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.resolveIdle === done) self.resolveIdle = undefined;
        resolve();
      }
      this.resolveIdle = done;
    });
  }

  listen(): Promise<void> {
    if (this.client || this.closed) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    let drop: ((destroy: boolean) => void) | undefined;
    try {
      const c = await this.pool.connect();
      let released = false;
      drop = (destroy: boolean) => {
        if (released) return; // 'error' may fire more than once; release exactly once
        released = true;
        if (this.client === c) {
          this.client = undefined;
          this.dropClient = undefined;
        }
        c.release(destroy);
      };
      const release = drop;
      c.on('notification', () => this.wake());
      // The LISTEN connection broke (a database restart): poll until the next idle() re-listens.
      c.on('error', () => release(true));
      await c.query(`LISTEN ${this.channel}`);
      if (this.closed) return release(true);
      this.client = c;
      this.dropClient = release;
    } catch (error) {
      drop?.(true);
      this.logger.debug({ err: error, channel: this.channel }, 'LISTEN unavailable; polling');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.resolveIdle?.();
    await this.connecting;
    const c = this.client;
    const drop = this.dropClient;
    if (!c || !drop) return;
    try {
      await c.query(`UNLISTEN ${this.channel}`);
      drop(false);
    } catch {
      drop(true);
    }
  }
}
