import type { ColumnType, Kysely } from '@emporium/db';
import type { OutboxTable } from '@emporium/messaging';

/** The orders database, as Kysely sees it. */
export interface OrdersDatabase {
  orders: OrdersTable;
  order_lines: OrderLinesTable;
  order_timeline: OrderTimelineTable;
  order_status_transitions: OrderStatusTransitionsTable;
  idempotency_keys: IdempotencyKeysTable;
  outbox: OutboxTable;
}

/** The orders database or a transaction on it: every repository function takes one first. */
export type OrdersDb = Kysely<OrdersDatabase>;

type Json<T> = ColumnType<T, string, string>;

export interface OrdersTable {
  id: string;
  customer_id: string;
  /** The customer's region when the order was placed (migration 0003); null when their token named none. */
  region: string | null;
  email: string;
  shipping_address: Json<Record<string, string>>;
  total_amount: number;
  currency: string;
  status: string;
  step: string | null;
  step_started_at: Date | null;
  step_deadline: Date | null;
  step_attempts: number;
  payment_method: string | null;
  reservation_expires_at: Date | null;
  stock_reserved_at: Date | null;
  payment_id: string | null;
  payment_authorized_at: Date | null;
  payment_captured_at: Date | null;
  stock_committed_at: Date | null;
  stock_released_at: Date | null;
  payment_voided_at: Date | null;
  confirmed_at: Date | null;
  cancelled_at: Date | null;
  cancel_requested_at: Date | null;
  cancel_reason: string | null;
  refund_id: string | null;
  refunded_at: Date | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export interface OrderLinesTable {
  order_id: string;
  position: number;
  sku: string;
  name: string;
  quantity: number;
  unit_amount: number;
  currency: string;
}

export interface OrderTimelineTable {
  seq: ColumnType<number, never, never>;
  order_id: string;
  step: string;
  status: string;
  detail: string;
  reason: string | null;
  at: Date;
}

export interface OrderStatusTransitionsTable {
  from_status: string;
  to_status: string;
}

export interface IdempotencyKeysTable {
  customer_id: string;
  key: string;
  fingerprint: string;
  state: 'in_flight' | 'completed';
  claim_token: string;
  claimed_at: Date;
  order_id: string | null;
  response_status: number | null;
  response_headers: Json<Record<string, string>> | null;
  response_body: string | null;
  created_at: Date;
  expires_at: Date;
}
