import { type Selectable, sql } from '@emporium/db';
import type { Payment } from '../domain/payment.js';
import type { PaymentsDb, PaymentsTable } from './tables.js';

export function paymentOf(row: Selectable<PaymentsTable>): Payment {
  return {
    id: row.id,
    orderId: row.order_id,
    customerId: row.customer_id,
    amount: row.amount,
    currency: row.currency,
    status: row.status,
    intentId: row.intent_id,
    authorizedAmount: row.authorized_amount,
    capturedAmount: row.captured_amount,
    refundedAmount: row.refunded_amount,
    refundPendingAmount: row.refund_pending_amount,
    failureCode: row.failure_code,
    failureReason: row.failure_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export type NewPayment = Pick<Payment, 'id' | 'orderId' | 'customerId' | 'amount' | 'currency' | 'status'>;

/** The insert of the order's payment, unless the order has one (then it inserts nothing). */
export function paymentInsert(trx: PaymentsDb, payment: NewPayment) {
  return trx
    .insertInto('payments')
    .values({
      id: payment.id,
      order_id: payment.orderId,
      customer_id: payment.customerId,
      amount: payment.amount,
      currency: payment.currency,
      status: payment.status,
      intent_id: null,
      failure_code: null,
      failure_reason: null,
      reconciled_at: null,
    })
    .onConflict((oc) => oc.column('order_id').doNothing());
}

/** Inserts the order's payment unless it has one; either way returns it locked for the transaction. */
export async function insertPaymentOrLockExisting(trx: PaymentsDb, payment: NewPayment): Promise<{ payment: Payment; created: boolean }> {
  const inserted = await paymentInsert(trx, payment).returningAll().executeTakeFirst();
  if (inserted) return { payment: paymentOf(inserted), created: true };
  return { payment: (await lockPaymentByOrderForUpdate(trx, payment.orderId))!, created: false };
}

export async function lockPaymentByOrderForUpdate(trx: PaymentsDb, orderId: string): Promise<Payment | undefined> {
  const row = await trx.selectFrom('payments').selectAll().where('order_id', '=', orderId).forUpdate().executeTakeFirst();
  return row ? paymentOf(row) : undefined;
}

export async function lockPaymentForUpdate(trx: PaymentsDb, id: string): Promise<Payment | undefined> {
  const row = await trx.selectFrom('payments').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  return row ? paymentOf(row) : undefined;
}

export async function lockPaymentByIntentForUpdate(trx: PaymentsDb, intentId: string): Promise<Payment | undefined> {
  const row = await trx.selectFrom('payments').selectAll().where('intent_id', '=', intentId).forUpdate().executeTakeFirst();
  return row ? paymentOf(row) : undefined;
}

export async function findPaymentById(db: PaymentsDb, id: string): Promise<Payment | undefined> {
  const row = await db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? paymentOf(row) : undefined;
}

export async function findPaymentByOrder(db: PaymentsDb, orderId: string): Promise<Payment | undefined> {
  const row = await db.selectFrom('payments').selectAll().where('order_id', '=', orderId).executeTakeFirst();
  return row ? paymentOf(row) : undefined;
}

/** The update that writes the payment's mutable state (the caller holds its row lock). */
export function paymentUpdate(trx: PaymentsDb, p: Payment) {
  return trx
    .updateTable('payments')
    .set({
      status: p.status,
      intent_id: p.intentId,
      authorized_amount: p.authorizedAmount,
      captured_amount: p.capturedAmount,
      refunded_amount: p.refundedAmount,
      refund_pending_amount: p.refundPendingAmount,
      failure_code: p.failureCode,
      failure_reason: p.failureReason,
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', p.id);
}

/** Writes the payment's mutable state (the caller holds its row lock). */
export async function savePayment(trx: PaymentsDb, p: Payment): Promise<void> {
  await paymentUpdate(trx, p).execute();
}

/** Payments changed within the lookback, least recently reconciled first. */
export async function listPaymentsToReconcile(db: PaymentsDb, lookbackHours: number, limit: number): Promise<Payment[]> {
  const rows = await db
    .selectFrom('payments')
    .selectAll()
    .where('updated_at', '>', sql<Date>`now() - make_interval(hours => ${lookbackHours})`)
    .orderBy(sql`reconciled_at ASC NULLS FIRST`)
    .orderBy('updated_at', 'asc')
    .limit(limit)
    .execute();
  return rows.map(paymentOf);
}

export async function markPaymentReconciled(db: PaymentsDb, id: string): Promise<void> {
  await db.updateTable('payments').set({ reconciled_at: sql<Date>`now()` }).where('id', '=', id).execute();
}
