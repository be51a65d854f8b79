/** The kinds of money movement the provider makes. */
export type LedgerKind = 'authorization' | 'capture' | 'void' | 'refund';

/** One money movement, as `GET /v1/test/ledger` shows it (API.md, "Oracle"). */
export interface LedgerEntry {
  /** ISO 8601 time of the movement. */
  at: string;
  kind: LedgerKind;
  payment_intent: string;
  amount: number;
  currency: string;
  order_id: string;
}

/**
 * The oracle: every authorization, capture, void and refund, appended when it happens and never
 * changed. The invariant checker compares our books with it (RELIABILITY.md I1–I3).
 */
export class Ledger {
  readonly #entries: LedgerEntry[] = [];

  append(entry: LedgerEntry): void {
    this.#entries.push(Object.freeze({ ...entry }));
  }

  /** Entries in the order they happened; only those of one order when `orderId` is given. */
  entries(orderId?: string): LedgerEntry[] {
    return orderId === undefined ? [...this.#entries] : this.#entries.filter((e) => e.order_id === orderId);
  }
}
