import { type Selectable, sql } from '@emporium/db';
import type { Operation, OperationKind } from '../domain/payment.js';
import type { PaymentOperationsTable, PaymentsDb } from './tables.js';

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
    outcomeUnknown: row.outcome_unknown,
    lastError: row.last_error,
    providerRef: row.provider_ref,
    failureCode: row.failure_code,
    failureReason: row.failure_reason,
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
  /** An outcome decided before any call (e.g. nothing left to refund): recorded as ended at once. */
  settled?: { ok: true } | { ok: false; code: string; reason: string };
};

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

export async function findOperation(db: PaymentsDb, id: string): Promise<Operation | undefined> {
  const row = await db.selectFrom('payment_operations').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? operationOf(row) : undefined;
}

/**
 * Claims due operations for one worker: skips rows another worker has locked, and rows whose
 * lease has not run out (a worker that died keeps its claims only until then). The claim is
 * committed before any provider call.
 */
export async function claimDueOperations(db: PaymentsDb, owner: string, leaseMs: number, limit: number): Promise<Operation[]> {
  const rows = await sql<Selectable<PaymentOperationsTable>>`
    WITH due AS (
      SELECT id FROM payment_operations
      WHERE status = 'pending' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
      ORDER BY next_attempt_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE payment_operations o
    SET lease_owner = ${owner}, lease_until = now() + make_interval(secs => ${leaseMs / 1_000}), attempts = o.attempts + 1
    FROM due WHERE o.id = due.id
    RETURNING o.*`.execute(db);
  return rows.rows.map(operationOf);
}

/**
 * Marks the key as possibly sent, just before a POST: from now on the operation can only be
 * finished by the provider's answer or a lookup (a void can no longer simply drop it). Returns
 * false when the operation is no longer ours to send (finished meanwhile, or claimed by another).
 */
export async function markSending(db: PaymentsDb, id: string, owner: string): Promise<boolean> {
  const row = await db
    .updateTable('payment_operations')
    .set({ first_sent_at: sql<Date>`coalesce(first_sent_at, now())` })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('lease_owner', '=', owner)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Writes the operation's mutable state (the caller holds its row lock). */
export async function saveOperation(trx: PaymentsDb, op: Operation): Promise<void> {
  await trx
    .updateTable('payment_operations')
    .set({
      status: op.status,
      payment_method: op.status === 'pending' ? op.paymentMethod : null,
      intent_id: op.intentId,
      next_attempt_at: op.nextAttemptAt,
      lease_owner: op.leaseOwner,
      lease_until: op.leaseUntil,
      outcome_unknown: op.outcomeUnknown,
      last_error: op.lastError,
      provider_ref: op.providerRef,
      failure_code: op.failureCode,
      failure_reason: op.failureReason,
      completed_at: op.status === 'pending' ? null : (op.completedAt ?? sql<Date>`now()`),
    })
    .where('id', '=', op.id)
    .execute();
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
