import { type Selectable, sql } from '@emporium/db';
import type { OrderData, OrderLine, ShippingAddress } from '../domain/order-data.js';
import type { OrderStatus } from '../domain/status.js';
import type { SagaStepId } from '../domain/steps/step.js';
import type { OrderLinesTable, OrdersDb, OrdersTable } from './tables.js';

/** What a position in a customer's list is: created_at with microseconds (as text) and the id. */
export interface ListPosition {
  position: string;
  id: string;
}

function toOrder(row: Selectable<OrdersTable>, lines: Selectable<OrderLinesTable>[]): OrderData {
  return {
    id: row.id,
    customerId: row.customer_id,
    email: row.email,
    shippingAddress: row.shipping_address as unknown as ShippingAddress,
    lines: lines
      .sort((a, b) => a.position - b.position)
      .map((l) => ({ sku: l.sku, name: l.name, quantity: l.quantity, unitPrice: { amount: Number(l.unit_amount), currency: l.currency } })),
    total: { amount: Number(row.total_amount), currency: row.currency },
    status: row.status as OrderStatus,
    step: row.step as SagaStepId | null,
    stepStartedAt: row.step_started_at,
    stepDeadline: row.step_deadline,
    stepAttempts: row.step_attempts,
    paymentMethod: row.payment_method,
    reservationExpiresAt: row.reservation_expires_at,
    stockReservedAt: row.stock_reserved_at,
    paymentId: row.payment_id,
    paymentAuthorizedAt: row.payment_authorized_at,
    paymentCapturedAt: row.payment_captured_at,
    stockCommittedAt: row.stock_committed_at,
    stockReleasedAt: row.stock_released_at,
    paymentVoidedAt: row.payment_voided_at,
    confirmedAt: row.confirmed_at,
    cancelledAt: row.cancelled_at,
    cancelRequestedAt: row.cancel_requested_at,
    cancelReason: row.cancel_reason,
    refundId: row.refund_id,
    refundedAt: row.refunded_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

/** The columns a saga step changes (everything but what was bought and by whom). */
const changeable = (o: OrderData) => ({
  status: o.status,
  step: o.step,
  step_started_at: o.stepStartedAt,
  step_deadline: o.stepDeadline,
  step_attempts: o.stepAttempts,
  payment_method: o.paymentMethod,
  reservation_expires_at: o.reservationExpiresAt,
  stock_reserved_at: o.stockReservedAt,
  payment_id: o.paymentId,
  payment_authorized_at: o.paymentAuthorizedAt,
  payment_captured_at: o.paymentCapturedAt,
  stock_committed_at: o.stockCommittedAt,
  stock_released_at: o.stockReleasedAt,
  payment_voided_at: o.paymentVoidedAt,
  confirmed_at: o.confirmedAt,
  cancelled_at: o.cancelledAt,
  cancel_requested_at: o.cancelRequestedAt,
  cancel_reason: o.cancelReason,
  refund_id: o.refundId,
  refunded_at: o.refundedAt,
  updated_at: o.updatedAt,
});

const linesRow = (orderId: string, line: OrderLine, position: number) => ({
  order_id: orderId,
  position,
  sku: line.sku,
  name: line.name,
  quantity: line.quantity,
  unit_amount: line.unitPrice.amount,
  currency: line.unitPrice.currency,
});

async function linesOf(db: OrdersDb, ids: string[]): Promise<Map<string, Selectable<OrderLinesTable>[]>> {
  const byOrder = new Map<string, Selectable<OrderLinesTable>[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return byOrder;
  const rows = await db.selectFrom('order_lines').selectAll().where('order_id', 'in', ids).execute();
  for (const row of rows) byOrder.get(row.order_id)?.push(row);
  return byOrder;
}

export async function insertOrder(trx: OrdersDb, order: OrderData): Promise<void> {
  await trx
    .insertInto('orders')
    .values({
      id: order.id,
      customer_id: order.customerId,
      email: order.email,
      shipping_address: JSON.stringify(order.shippingAddress),
      total_amount: order.total.amount,
      currency: order.total.currency,
      created_at: order.createdAt,
      version: order.version,
      ...changeable(order),
    })
    .execute();
  await trx
    .insertInto('order_lines')
    .values(order.lines.map((l, i) => linesRow(order.id, l, i)))
    .execute();
}

/** Reads the order and holds its row lock until the transaction ends: replies, timeouts and cancels of one order queue up. */
export async function lockOrderForUpdate(trx: OrdersDb, id: string): Promise<OrderData | undefined> {
  const row = await trx.selectFrom('orders').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  if (!row) return undefined;
  return toOrder(row, (await linesOf(trx, [id])).get(id) ?? []);
}

/** Writes the saga state of an order read with lockOrderForUpdate; its version moves on. */
export async function saveOrder(trx: OrdersDb, order: OrderData): Promise<void> {
  await trx
    .updateTable('orders')
    .set({ ...changeable(order), version: sql`version + 1` })
    .where('id', '=', order.id)
    .execute();
}

/** One customer's order; another customer's is not found (BOLA). */
export async function findOrderOfCustomer(db: OrdersDb, customerId: string, id: string): Promise<OrderData | undefined> {
  const row = await db.selectFrom('orders').selectAll().where('id', '=', id).where('customer_id', '=', customerId).executeTakeFirst();
  if (!row) return undefined;
  return toOrder(row, (await linesOf(db, [id])).get(id) ?? []);
}

/** As findOrderOfCustomer, holding the row lock. */
export async function lockOrderOfCustomerForUpdate(trx: OrdersDb, customerId: string, id: string): Promise<OrderData | undefined> {
  const order = await lockOrderForUpdate(trx, id);
  return order && order.customerId === customerId ? order : undefined;
}

/** A customer's orders, newest first, after a position (keyset on created_at with microseconds, id). */
export async function findOrderPageOfCustomer(
  db: OrdersDb,
  customerId: string,
  page: { after?: ListPosition | undefined; limit: number },
): Promise<{ order: OrderData; position: string }[]> {
  let query = db
    .selectFrom('orders')
    .selectAll()
    .select(sql<string>`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('position'))
    .where('customer_id', '=', customerId);
  if (page.after) {
    const { position, id } = page.after;
    query = query.where(sql<boolean>`(created_at, id) < (${position}::timestamptz, ${id}::uuid)`);
  }
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit).execute();
  const lines = await linesOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map(({ position, ...row }) => ({ order: toOrder(row, lines.get(row.id) ?? []), position }));
}

/**
 * Orders whose saga step is past its deadline, locked; rows another replica (or a reply handler)
 * holds are skipped, so each is handled once at a time.
 */
export async function lockOrdersPastDeadlineForUpdate(trx: OrdersDb, now: Date, limit: number, skip: string[] = []): Promise<OrderData[]> {
  let query = trx.selectFrom('orders').selectAll().where('step_deadline', '<=', now);
  if (skip.length) query = query.where('id', 'not in', skip);
  const rows = await query.orderBy('step_deadline').limit(limit).forUpdate().skipLocked().execute();
  const lines = await linesOf(
    trx,
    rows.map((r) => r.id),
  );
  return rows.map((row) => toOrder(row, lines.get(row.id) ?? []));
}

export async function countOrdersByStatus(db: OrdersDb): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('orders')
    .select(['status', sql<number>`count(*)::int`.as('n')])
    .groupBy('status')
    .execute();
  return new Map(rows.map((r) => [r.status, r.n]));
}

/**
 * Sagas an operator should look at: waiting for a refund decision (needs_attention), asked more
 * often than the policy allows (a pivot or refund nobody answers), or past their deadline for
 * longer than `graceMs` (nothing is working on them: is the timeout job running?).
 */
export async function countStuckOrders(db: OrdersDb, maxAttempts: number, now: Date, graceMs: number): Promise<number> {
  const row = await db
    .selectFrom('orders')
    .select(sql<number>`count(*)::int`.as('n'))
    .where((eb) =>
      eb.or([
        eb('status', '=', 'needs_attention'),
        eb('step_attempts', '>', maxAttempts),
        eb('step_deadline', '<', new Date(now.getTime() - graceMs)),
      ]),
    )
    .executeTakeFirstOrThrow();
  return row.n;
}
