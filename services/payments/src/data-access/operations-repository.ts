import { type Selectable, sql } from '@emporium/db';
import { traceCarrierOf } from '@emporium/observability';
import type { Operation, OperationKind, Payment, Requester } from '../domain/payment.js';
import { type NewPayment, paymentInsert, paymentOf } from './payments-repository.js';
import type { PaymentOperationsTable, PaymentsDb, PaymentsTable } from './tables.js';

export { OPERATIONS_CHANNEL } from './migrations/0002-operations-notify.js';

export function operationOf(row: Selectable<PaymentOperationsTable>): Operation {
  return {
    id: row.id,
    paymentId: row.payment_id,
    orderId: row.order_id,
    kind: row.kind,
    origin: row.origin,
    status: row.status,
    idempotencyKey: row.idempotency_key,
    amount: row.amount,
    currency: row.currency,
    refundId: row.refund_id,
    intentId: row.intent_id,
    paymentMethod: row.payment_method,
    reason: row.reason,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until,
    firstSentAt: row.first_sent_at,
    hintedAt: row.hinted_at,
    trace: {
      ...(row.traceparent ? { traceparent: row.traceparent } : {}),
      ...(row.tracestate ? { tracestate: row.tracestate } : {}),
    },
    outcomeUnknown: row.outcome_unknown,
    lastError: row.last_error,
    providerRef: row.provider_ref,
    failureCode: row.failure_code,
    failureReason: row.failure_reason,
    requestedBy: row.requested_by === null ? null : { subject: row.requested_by, tokenId: row.requested_token_id },
    createdAt: row.created_at,
    completedAt: row.completed_at,
  };
}

export type NewOperation = Pick<
  Operation,
  | 'id'
  | 'paymentId'
  | 'orderId'
  | 'kind'
  | 'origin'
  | 'idempotencyKey'
  | 'amount'
  | 'currency'
  | 'refundId'
  | 'intentId'
  | 'paymentMethod'
  | 'reason'
> & {
  /** The admin who asked (origin `admin` only; the database checks it). */
  requestedBy?: Requester;
  /** An outcome decided before any call (e.g. nothing left to refund): recorded as ended at once. */
  settled?: { ok: true } | { ok: false; code: string; reason: string };
};

/** The active trace, stored with a new operation so that the worker's calls join it. */
function traceColumns(): { traceparent: string | null; tracestate: string | null } {
  const carrier = traceCarrierOf();
  return { traceparent: carrier.traceparent ?? null, tracestate: carrier.tracestate ?? null };
}

/** Inserts the operation with its key; undefined when an operation of that identity already exists. */
export async function insertOperation(trx: PaymentsDb, op: NewOperation): Promise<Operation | undefined> {
  const row = await trx
    .insertInto('payment_operations')
    .values({
      id: op.id,
      payment_id: op.paymentId,
      order_id: op.orderId,
      kind: op.kind,
      origin: op.origin,
      idempotency_key: op.idempotencyKey,
      amount: op.amount,
      currency: op.currency,
      refund_id: op.refundId,
      intent_id: op.intentId,
      payment_method: op.settled ? null : op.paymentMethod,
      reason: op.reason,
      requested_by: op.requestedBy?.subject ?? null,
      requested_token_id: op.requestedBy?.tokenId ?? null,
      ...traceColumns(),
      lease_owner: null,
      lease_until: null,
      first_sent_at: null,
      last_error: null,
      provider_ref: null,
      ...(op.settled?.ok === false
        ? { status: 'failed' as const, failure_code: op.settled.code, failure_reason: op.settled.reason, completed_at: sql<Date>`now()` }
        : op.settled?.ok
          ? { status: 'succeeded' as const, failure_code: null, failure_reason: null, completed_at: sql<Date>`now()` }
          : { failure_code: null, failure_reason: null, completed_at: null }),
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  return row ? operationOf(row) : undefined;
}

/**
 * Inserts the order's payment and its first operation in one statement; undefined when the order
 * already has a payment (then nothing is inserted: the caller locks the existing one).
 */
export async function insertPaymentWithOperation(
  trx: PaymentsDb,
  payment: NewPayment,
  op: Omit<NewOperation, 'paymentId' | 'settled'>,
): Promise<Operation | undefined> {
  const trace = traceColumns();
  const row = await trx
    .with('payment', () => paymentInsert(trx, payment).returningAll())
    .insertInto('payment_operations')
    .columns([
      'id',
      'payment_id',
      'order_id',
      'kind',
      'origin',
      'idempotency_key',
      'amount',
      'currency',
      'refund_id',
      'intent_id',
      'payment_method',
      'reason',
      'traceparent',
      'tracestate',
    ])
    .expression((eb) =>
      eb
        .selectFrom('payment')
        .select([
          eb.val(op.id).as('id'),
          'payment.id as payment_id',
          eb.val(op.orderId).as('order_id'),
          eb.val(op.kind).as('kind'),
          eb.val(op.origin).as('origin'),
          eb.val(op.idempotencyKey).as('idempotency_key'),
          eb.val(op.amount).as('amount'),
          eb.val(op.currency).as('currency'),
          eb.val(op.refundId).as('refund_id'),
          eb.val(op.intentId).as('intent_id'),
          eb.val(op.paymentMethod).as('payment_method'),
          eb.val(op.reason).as('reason'),
          eb.val(trace.traceparent).as('traceparent'),
          eb.val(trace.tracestate).as('tracestate'),
        ]),
    )
    .returningAll()
    .executeTakeFirst();
  return row ? operationOf(row) : undefined;
}

/** The payment's own operation of a kind (authorize, capture or void), locked. */
export async function lockOperationOfPaymentForUpdate(
  trx: PaymentsDb,
  paymentId: string,
  kind: OperationKind,
): Promise<Operation | undefined> {
  const row = await trx
    .selectFrom('payment_operations')
    .selectAll()
    .where('payment_id', '=', paymentId)
    .where('kind', '=', kind)
    .where('origin', '<>', 'reconciliation')
    .forUpdate()
    .executeTakeFirst();
  return row ? operationOf(row) : undefined;
}

export async function lockOperationForUpdate(trx: PaymentsDb, id: string): Promise<Operation | undefined> {
  const row = await trx.selectFrom('payment_operations').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  return row ? operationOf(row) : undefined;
}

export async function lockOperationByRefundIdForUpdate(trx: PaymentsDb, refundId: string): Promise<Operation | undefined> {
  const row = await trx.selectFrom('payment_operations').selectAll().where('refund_id', '=', refundId).forUpdate().executeTakeFirst();
  return row ? operationOf(row) : undefined;
}

/** Every pending operation of a payment, locked (the caller holds the payment's lock first). */
export async function lockPendingOperationsOfPaymentForUpdate(trx: PaymentsDb, paymentId: string): Promise<Operation[]> {
  const rows = await trx
    .selectFrom('payment_operations')
    .selectAll()
    .where('payment_id', '=', paymentId)
    .where('status', '=', 'pending')
    .orderBy('created_at')
    .forUpdate()
    .execute();
  return rows.map(operationOf);
}

export async function listOperationsOfOrder(db: PaymentsDb, orderId: string): Promise<Operation[]> {
  const rows = await db
    .selectFrom('payment_operations')
    .selectAll()
    .where('order_id', '=', orderId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(operationOf);
}

/** One claimed operation, with its payment as the claim read it (not locked: a plan, re-checked under lock). */
export interface ClaimedOperation {
  /** As the claim left it: leased to the worker, its key marked as possibly sent. */
  operation: Operation;
  /** When the key was first marked as possibly sent before this claim (null: this claim is the first). */
  firstSentAtBefore: Date | null;
  payment: Payment | undefined;
}

export interface Claim {
  claimed: ClaimedOperation[];
  /**
   * In how many ms the next operation not claimed here is due (0: one is due now but another
   * transaction holds it), by the database's clock; null when none is pending and unleased.
   */
  nextDueInMs: number | null;
}

/** to_jsonb(payments) → Payment (timestamps come back as text, bigints as numbers). */
const paymentOfJson = (row: Record<string, unknown>): Payment =>
  paymentOf({
    ...(row as unknown as Selectable<PaymentsTable>),
    created_at: new Date(row.created_at as string),
    updated_at: new Date(row.updated_at as string),
  });

/**
 * Claims due operations for one worker: skips rows another worker has locked, and rows whose
 * lease has not run out (a worker that died keeps its claims only until then). The claim is
 * committed before any provider call, and marks the key as possibly sent: from now on the
 * operation can only be finished by the provider's answer or a lookup (a void can no longer
 * simply drop it). In the same statement: each operation's payment (a plain read, for the plan)
 * and when the next operation not claimed here is due, so that the worker sleeps just that long.
 */
export async function claimDueOperations(db: PaymentsDb, owner: string, leaseMs: number, limit: number): Promise<Claim> {
  const rows = await sql<
    Partial<Selectable<PaymentOperationsTable>> & {
      first_sent_at_before: Date | null;
      payment: Record<string, unknown> | null;
      next_due_in_ms: number | null;
    }
  >`
    WITH due AS (
      SELECT id, first_sent_at FROM payment_operations
      WHERE status = 'pending' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
      ORDER BY next_attempt_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    ), claimed AS (
      UPDATE payment_operations o
      SET lease_owner = ${owner}, lease_until = now() + make_interval(secs => ${leaseMs / 1_000}), attempts = o.attempts + 1,
        first_sent_at = coalesce(o.first_sent_at, now())
      FROM due WHERE o.id = due.id
      RETURNING o.*, due.first_sent_at AS first_sent_at_before
    ), next AS (
      SELECT (extract(epoch FROM min(next_attempt_at) - now()) * 1000)::float8 AS next_due_in_ms
      FROM payment_operations
      WHERE status = 'pending' AND (lease_until IS NULL OR lease_until < now()) AND id NOT IN (SELECT id FROM due)
    )
    SELECT c.*, to_jsonb(p) AS payment, next.next_due_in_ms
    FROM next LEFT JOIN (claimed c LEFT JOIN payments p ON p.id = c.payment_id) ON true`.execute(db);
  const claimed = rows.rows
    .filter((r) => r.id !== null && r.id !== undefined)
    .map((r) => ({
      operation: operationOf(r as Selectable<PaymentOperationsTable>),
      firstSentAtBefore: r.first_sent_at_before,
      payment: r.payment ? paymentOfJson(r.payment) : undefined,
    }));
  const nextDue = rows.rows[0]?.next_due_in_ms ?? null;
  return { claimed, nextDueInMs: nextDue === null ? null : Math.max(0, Math.ceil(nextDue)) };
}

/** The update that writes the operation's mutable state (the caller holds its row lock). */
export function operationUpdate(trx: PaymentsDb, op: Operation) {
  return trx
    .updateTable('payment_operations')
    .set({
      status: op.status,
      payment_method: op.status === 'pending' ? op.paymentMethod : null,
      intent_id: op.intentId,
      next_attempt_at: op.nextAttemptAt,
      first_sent_at: op.firstSentAt,
      hinted_at: op.hintedAt,
      lease_owner: op.leaseOwner,
      lease_until: op.leaseUntil,
      outcome_unknown: op.outcomeUnknown,
      last_error: op.lastError,
      provider_ref: op.providerRef,
      failure_code: op.failureCode,
      failure_reason: op.failureReason,
      completed_at: op.status === 'pending' ? null : (op.completedAt ?? sql<Date>`now()`),
    })
    .where('id', '=', op.id);
}

/** Writes the operation's mutable state (the caller holds its row lock). */
export async function saveOperation(trx: PaymentsDb, op: Operation): Promise<void> {
  await operationUpdate(trx, op).execute();
}

/** Operations whose last call got no answer and that are not settled yet (the gauge). */
export async function countUnknownOutcomes(db: PaymentsDb): Promise<number> {
  const row = await db
    .selectFrom('payment_operations')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('status', '=', 'pending')
    .where('outcome_unknown', '=', true)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Pending operations with an unknown outcome, for the reconciliation to look up. */
export async function listUnknownOperations(db: PaymentsDb, limit: number): Promise<Operation[]> {
  const rows = await db
    .selectFrom('payment_operations')
    .selectAll()
    .where('status', '=', 'pending')
    .where('outcome_unknown', '=', true)
    .orderBy('first_sent_at')
    .limit(limit)
    .execute();
  return rows.map(operationOf);
}
