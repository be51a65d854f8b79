import { sql } from '@emporium/db';
import type { Operation, Payment } from '../domain/payment.js';
import { type NewMovement, movementsInsert } from './ledger-repository.js';
import { operationUpdate } from './operations-repository.js';
import { paymentUpdate } from './payments-repository.js';
import type { PaymentsDb } from './tables.js';

export interface PaymentWrites {
  /** The payment's new state; undefined when it did not change. */
  payment: Payment | undefined;
  operations: Operation[];
  movements: NewMovement[];
}

/**
 * Writes what one transaction changed of a payment — its row, its operations and the money
 * movements learnt — in one statement (data-modifying CTEs, each run once and to completion),
 * instead of one round trip each. The caller holds the payment's and the operations' row locks.
 */
export async function writePaymentChange(trx: PaymentsDb, writes: PaymentWrites): Promise<void> {
  const parts = [
    ...(writes.payment ? [paymentUpdate(trx, writes.payment)] : []),
    ...writes.operations.map((op) => operationUpdate(trx, op)),
    ...(writes.movements.length > 0 ? [movementsInsert(trx, writes.movements)] : []),
  ];
  const [only] = parts;
  if (!only) return;
  if (parts.length === 1) {
    await only.execute();
    return;
  }
  // Kysely types each CTE by name; the names here are only placeholders, never read.
  let query: any = trx;
  for (const [i, part] of parts.entries()) query = query.with(`w${i}`, () => part);
  await query.selectNoFrom(sql<number>`1`.as('written')).execute();
}
