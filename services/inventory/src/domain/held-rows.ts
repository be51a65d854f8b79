import type { Allocation } from './lines.js';
import type { Reservation } from './reservation.js';
import type { StockLevelRecord } from '../data-access/tables.js';

/** A reservation as its transaction holds it: the row and where its units are held. */
export interface HeldReservation {
  reservation: Reservation;
  allocations: Allocation[];
}

const keyOf = (sku: string, location: string) => `${sku}\u0000${location}`;
const byKey = (a: StockLevelRecord, b: StockLevelRecord) =>
  a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : a.location < b.location ? -1 : a.location > b.location ? 1 : 0;

/**
 * The rows one transaction of commands holds locked: the reservations of its orders and every
 * location of the SKUs they touch. Read once when the locks are taken (lockForCommands), then
 * kept current by the use cases as they change them, so that no command of a batch reads again a
 * row its transaction already holds, and each sees what the commands before it did.
 */
export class HeldRows {
  private readonly reservations: Map<string, HeldReservation>;
  private readonly stock = new Map<string, StockLevelRecord>();

  constructor(
    private readonly orders: ReadonlySet<string>,
    reservations: ReadonlyMap<string, HeldReservation>,
    private readonly skus: ReadonlySet<string>,
    stock: readonly StockLevelRecord[],
  ) {
    this.reservations = new Map(reservations);
    for (const row of stock) this.stock.set(keyOf(row.sku, row.location), row);
  }

  /** The order's reservation, or undefined when it has none. */
  reservationOf(orderId: string): HeldReservation | undefined {
    if (!this.orders.has(orderId)) throw new Error(`inventory: the order ${orderId} was not locked before its command ran`);
    return this.reservations.get(orderId);
  }

  /** Every held location of these SKUs, by SKU then location (a SKU with no row has none). */
  stockOf(skus: Iterable<string>): StockLevelRecord[] {
    const wanted = new Set(skus);
    for (const sku of wanted) {
      if (!this.skus.has(sku)) throw new Error(`inventory: the stock of ${sku} was not locked before a command used it`);
    }
    return [...this.stock.values()].filter((row) => wanted.has(row.sku)).sort(byKey);
  }

  /** Records what a command wrote: the reservation's new state and where its units are. */
  keepReservation(held: HeldReservation): void {
    this.reservations.set(held.reservation.orderId, held);
  }

  /** Records stock rows as a command left them. */
  keepStock(rows: readonly StockLevelRecord[]): void {
    for (const row of rows) this.stock.set(keyOf(row.sku, row.location), row);
  }
}
