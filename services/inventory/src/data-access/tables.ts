import type { ColumnType, Generated } from '@emporium/db';
import type { InboxTable, OutboxTable } from '@emporium/messaging';

/** The inventory database, as Kysely sees it. */
export interface InventoryDatabase {
  stock_levels: StockLevelsTable;
  reservations: ReservationsTable;
  reservation_lines: ReservationLinesTable;
  stock_movements: StockMovementsTable;
  stock_receipts: StockReceiptsTable;
  outbox: OutboxTable;
  inbox: InboxTable;
}

/** Units of one SKU at one location. The CHECKs keep 0 ≤ reserved ≤ on_hand whatever the code does. */
export interface StockLevelsTable {
  sku: string;
  location: string;
  on_hand: number;
  reserved: number;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type ReservationStatus = 'reserved' | 'committed' | 'released' | 'expired' | 'failed';
export type FailureReason = 'out_of_stock' | 'unknown_sku';

/** One row per order (the order id is the key of every command). */
export interface ReservationsTable {
  order_id: string;
  status: ReservationStatus;
  /** The lines as the order asked for them: read as an array, written as JSON text. */
  lines: ColumnType<LineRecord[], string, string>;
  expires_at: Date | null;
  failure_reason: FailureReason | null;
  shortages: ColumnType<ShortageRecord[] | null, string | null, string | null>;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  committed_at: Date | null;
  released_at: Date | null;
}

/** Where a reservation's units are held: per SKU and location. */
export interface ReservationLinesTable {
  order_id: string;
  sku: string;
  location: string;
  quantity: number;
}

export type MovementKind = 'receipt' | 'adjustment' | 'reserve' | 'commit' | 'release' | 'expiry';

/** The journal: every change of on_hand or reserved, so that stock conservation (I4) can be checked. */
export interface StockMovementsTable {
  id: Generated<number>;
  sku: string;
  location: string;
  kind: MovementKind;
  on_hand_delta: number;
  reserved_delta: number;
  order_id: string | null;
  reference: string | null;
  reason: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
}

/** Receipts and adjustments by their caller's reference, unique per SKU: a repeated request applies once. */
export interface StockReceiptsTable {
  sku: string;
  reference: string;
  location: string;
  quantity: number;
  reason: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export interface LineRecord {
  sku: string;
  quantity: number;
}

export interface ShortageRecord {
  sku: string;
  requested: number;
  available: number;
}

export interface StockLevelRecord {
  sku: string;
  location: string;
  onHand: number;
  reserved: number;
}

export interface AllocationRecord {
  sku: string;
  location: string;
  quantity: number;
}

export interface ReservationRecord {
  orderId: string;
  status: ReservationStatus;
  lines: LineRecord[];
  expiresAt: Date | null;
  failureReason: FailureReason | null;
  shortages: ShortageRecord[] | null;
  createdAt: Date;
  updatedAt: Date;
  committedAt: Date | null;
  releasedAt: Date | null;
}

export interface MovementRecord {
  sku: string;
  location: string;
  kind: MovementKind;
  onHandDelta: number;
  reservedDelta: number;
  orderId?: string;
  reference?: string;
  reason?: string;
}

export interface ReceiptRecord {
  sku: string;
  reference: string;
  location: string;
  quantity: number;
  reason: string | null;
  createdAt: Date;
}
