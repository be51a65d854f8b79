import { type Expression, type Selectable, sql } from '@emporium/db';
import type { ExpressionBuilder } from 'kysely';
import type { OrderData, OrderLine, ShippingAddress } from '../domain/order-data.js';
import type { OrderStatus } from '../domain/status.js';
import type { SagaStepId } from '../domain/steps/step.js';
import type { OrderAccess, OrderField, OrderScope } from '../policy.js';
import type { OrderLinesTable, OrdersDatabase, OrdersDb, OrdersTable } from './tables.js';
import { type TimelineJson, timelineEntryOf } from './timeline-repository.js';
import type { TimelineEntry } from '../domain/timeline.js';

/** What a position in a list is: created_at with microseconds (as text) and the id. */
export interface ListPosition {
  position: string;
  id: string;
}

/** An order row read with its lines in the same statement (see withLines). */
type OrderRow = Selectable<OrdersTable> & { lines: LineJson[] };
type LineJson = Pick<Selectable<OrderLinesTable>, 'position' | 'sku' | 'name' | 'quantity' | 'unit_amount' | 'currency'>;

/**
 * The order's lines as a JSON array, in the same statement as the order row: one round trip per
 * read instead of two (every saga reply reads its order). FOR UPDATE still locks only the orders
 * row: the subquery is not in FROM.
 */
const withLines = (orderId: Expression<string>) =>
  sql<LineJson[]>`(
    SELECT coalesce(json_agg(json_build_object('position', l.position, 'sku', l.sku, 'name', l.name, 'quantity', l.quantity,
      'unit_amount', l.unit_amount, 'currency', l.currency) ORDER BY l.position), '[]'::json)
    FROM order_lines l WHERE l.order_id = ${orderId})`.as('lines');

function toOrder(row: Selectable<OrdersTable>, lines: LineJson[]): OrderData {
  return {
    id: row.id,
    customerId: row.customer_id,
    region: row.region,
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

const fromRow = ({ lines, ...row }: OrderRow): OrderData => toOrder(row, lines);

/** The orders table with every column and each row's lines. */
const ordersWithLines = (db: OrdersDb) =>
  db
    .selectFrom('orders')
    .selectAll('orders')
    .select((eb) => withLines(eb.ref('orders.id')));

export async function insertOrder(trx: OrdersDb, order: OrderData): Promise<void> {
  await trx
    .insertInto('orders')
    .values({
      id: order.id,
      customer_id: order.customerId,
      region: order.region,
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
  const row = await ordersWithLines(trx).where('id', '=', id).forUpdate().executeTakeFirst();
  return row && fromRow(row);
}

/** Writes the saga state of an order read with lockOrderForUpdate; its version moves on. */
export async function saveOrder(trx: OrdersDb, order: OrderData): Promise<void> {
  await trx
    .updateTable('orders')
    .set({ ...changeable(order), version: sql`version + 1` })
    .where('id', '=', order.id)
    .execute();
}

/**
 * An order with its timeline (oldest first, in the order written), in one statement: what a
 * status read answers, and status reads are the most frequent request there is. Whether the
 * caller may see it is the policy's decision, made on the row (domain/read-orders.ts).
 */
export async function findOrderWithTimeline(
  db: OrdersDb,
  id: string,
): Promise<{ order: OrderData; timeline: TimelineEntry[] } | undefined> {
  const row = await ordersWithLines(db)
    .select(
      sql<TimelineJson[]>`(
        SELECT coalesce(json_agg(json_build_object('step', t.step, 'status', t.status, 'detail', t.detail, 'reason', t.reason,
          'at', t.at) ORDER BY t.seq), '[]'::json)
        FROM order_timeline t WHERE t.order_id = orders.id)`.as('timeline'),
    )
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  const { timeline, ...order } = row;
  return { order: fromRow(order), timeline: timeline.map(timelineEntryOf) };
}

/** An order's version (what its ETag names) and what the policy decides on: a cheap check for a waiting reader. */
export async function findOrderVersion(db: OrdersDb, id: string): Promise<(OrderAccess & { version: number }) | undefined> {
  const row = await db.selectFrom('orders').select(['version', 'customer_id', 'region']).where('id', '=', id).executeTakeFirst();
  return row && { version: row.version, customerId: row.customer_id, region: row.region };
}

/** Any customer's order (staff views). */
export async function findOrderById(db: OrdersDb, id: string): Promise<OrderData | undefined> {
  const row = await ordersWithLines(db).where('id', '=', id).executeTakeFirst();
  return row && fromRow(row);
}

/** Sagas not yet at rest (open), or those a person must look at (stuck: the same rule as countStuckOrders). */
export type SagaFilter = 'open' | 'stuck';

/** Sagas by filter, newest first, after a position (keyset on created_at with microseconds, id). */
export async function findSagaPage(
  db: OrdersDb,
  page: { filter: SagaFilter; after?: ListPosition | undefined; limit: number; now: Date; maxAttempts: number; graceMs: number },
): Promise<{ order: OrderData; position: string }[]> {
  let query = ordersWithLines(db).select(
    sql<string>`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('position'),
  );
  query =
    page.filter === 'open'
      ? query.where('status', 'not in', ['confirmed', 'cancelled'])
      : query.where((eb) =>
          eb.or([
            eb('status', '=', 'needs_attention'),
            eb('step_attempts', '>', page.maxAttempts),
            eb('step_deadline', '<', new Date(page.now.getTime() - page.graceMs)),
          ]),
        );
  if (page.after) {
    const { position, id } = page.after;
    query = query.where(sql<boolean>`(created_at, id) < (${position}::timestamptz, ${id}::uuid)`);
  }
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit).execute();
  return rows.map(({ position, ...row }) => ({ order: fromRow(row), position }));
}

const COLUMNS: Record<OrderField, 'customer_id' | 'region'> = { customerId: 'customer_id', region: 'region' };

/**
 * An OrderScope (policy.ts, derived from the policy's rules) as a WHERE condition. An equality on
 * a NULL column is NULL, which a WHERE treats as false: right for `=` (an order without a region
 * matches no region), and `not` is made explicit so that NOT NULL does not turn into a match.
 */
function inScope(eb: ExpressionBuilder<OrdersDatabase, 'orders'>, scope: OrderScope): Expression<unknown> {
  if ('field' in scope) return eb(COLUMNS[scope.field], '=', scope.equals);
  if ('not' in scope) return eb.not(sql<boolean>`coalesce(${inScope(eb, scope.not)}, false)`);
  if ('or' in scope) return eb.or(scope.or.map((s) => inScope(eb, s) as Expression<boolean>));
  return eb.and(scope.and.map((s) => inScope(eb, s) as Expression<boolean>));
}

/**
 * The orders in a scope, newest first, after a position (keyset on created_at with microseconds,
 * id). A customer's scope is served by orders_of_customer_newest_first, a region's by
 * orders_of_region_newest_first.
 */
export async function findOrderPage(
  db: OrdersDb,
  scope: OrderScope,
  page: { after?: ListPosition | undefined; limit: number },
): Promise<{ order: OrderData; position: string }[]> {
  let query = ordersWithLines(db)
    .select(sql<string>`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('position'))
    .where((eb) => inScope(eb, scope) as Expression<boolean>);
  if (page.after) {
    const { position, id } = page.after;
    query = query.where(sql<boolean>`(created_at, id) < (${position}::timestamptz, ${id}::uuid)`);
  }
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit).execute();
  return rows.map(({ position, ...row }) => ({ order: fromRow(row), position }));
}

/**
 * Orders whose saga step is past its deadline, locked; rows another replica (or a reply handler)
 * holds are skipped, so each is handled once at a time.
 */
export async function lockOrdersPastDeadlineForUpdate(trx: OrdersDb, now: Date, limit: number, skip: string[] = []): Promise<OrderData[]> {
  let query = ordersWithLines(trx).where('step_deadline', '<=', now);
  if (skip.length) query = query.where('id', 'not in', skip);
  const rows = await query.orderBy('step_deadline').limit(limit).forUpdate().skipLocked().execute();
  return rows.map(fromRow);
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
