import type { Logger } from '@emporium/observability';
import type pg from 'pg';

/** Channel a trigger on `orders` NOTIFYs with the order id whenever an order's version moves (migration 0002). */
export const ORDER_CHANGED_CHANNEL = 'orders_order_changed';

/** One reader waiting for one order to change. */
export interface OrderWatch {
  /**
   * Resolves when the order was changed since the previous call (or since the watch began), or
   * after `ms`, whichever is first. The caller reads the order again either way: a notification is
   * a hint, and one may be lost while the LISTEN connection is down.
   */
  next(ms: number): Promise<void>;
  close(): void;
}

export interface OrderChanges {
  watch(orderId: string): OrderWatch;
  /** Ends every wait at once and gives the LISTEN connection back. */
  stop(): Promise<void>;
}

interface Watcher {
  changed: boolean;
  wake: (() => void) | undefined;
}

/**
 * Tells waiting readers (GET with `Prefer: wait`) that an order changed, whichever replica
 * changed it: one LISTEN connection per process, opened when the first reader waits, the
 * notification's payload being the order id. Without it a waiting reader still sees the change
 * at its next re-read (OrderWatch.next's timeout), so it is an accelerator, never a dependency.
 */
export class OrderChangeFeed implements OrderChanges {
  private readonly watchers = new Map<string, Set<Watcher>>();
  private client: pg.PoolClient | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
  ) {}

  watch(orderId: string): OrderWatch {
    if (!this.client) void this.listening();
    const watcher: Watcher = { changed: false, wake: undefined };
    const set = this.watchers.get(orderId) ?? new Set<Watcher>();
    this.watchers.set(orderId, set);
    set.add(watcher);
    return {
      next: (ms) =>
        new Promise<void>((resolve) => {
          if (watcher.changed || this.closed) {
            watcher.changed = false;
            return resolve();
          }
          const done = () => {
            clearTimeout(timer);
            watcher.wake = undefined;
            watcher.changed = false;
            resolve();
          };
          const timer = setTimeout(done, ms);
          watcher.wake = done;
        }),
      close: () => {
        watcher.wake?.();
        set.delete(watcher);
        if (set.size === 0 && this.watchers.get(orderId) === set) this.watchers.delete(orderId);
      },
    };
  }

  private notify(orderId: string): void {
    for (const w of this.watchers.get(orderId) ?? []) {
      w.changed = true;
      w.wake?.();
    }
  }

  /** Resolves once the LISTEN is in place (or could not be put in place: readers then re-read). */
  listening(): Promise<void> {
    if (this.client || this.closed) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    let drop: (() => void) | undefined;
    try {
      const client = await this.pool.connect();
      let released = false;
      drop = () => {
        if (released) return;
        released = true;
        if (this.client === client) this.client = undefined;
        client.release(true);
      };
      client.on('notification', (n) => {
        if (n.channel === ORDER_CHANGED_CHANNEL && n.payload) this.notify(n.payload);
      });
      // The connection broke (a database restart): readers fall back to re-reading until the next watch() listens again.
      client.on('error', drop);
      await client.query(`LISTEN ${ORDER_CHANGED_CHANNEL}`);
      if (this.closed) return drop();
      this.client = client;
    } catch (error) {
      drop?.();
      this.logger.debug({ err: error }, 'LISTEN for order changes unavailable; waiting readers re-read instead');
    }
  }

  /** Ends every wait at once and gives the connection back. */
  async stop(): Promise<void> {
    this.closed = true;
    for (const set of this.watchers.values()) for (const w of set) w.wake?.();
    await this.connecting;
    const c = this.client;
    this.client = undefined;
    c?.release(true);
  }
}
