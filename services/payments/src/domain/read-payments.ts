import { listFindings as listFindingRows, type Finding } from '../data-access/findings-repository.js';
import { type LedgerEntry, listLedger as listLedgerRows } from '../data-access/ledger-repository.js';
import { listOperationsOfOrder } from '../data-access/operations-repository.js';
import { findPaymentByOrder } from '../data-access/payments-repository.js';
import type { PaymentsDeps } from './deps.js';
import { paymentNotFound } from './errors.js';
import type { Operation, Payment } from './payment.js';

export interface PaymentOfOrder {
  payment: Payment;
  operations: Operation[];
  ledger: LedgerEntry[];
}

/** An order's payment with every operation asked of the provider and every money movement recorded. */
export async function getPaymentOfOrder(deps: PaymentsDeps, orderId: string): Promise<PaymentOfOrder> {
  const payment = await findPaymentByOrder(deps.db, orderId);
  if (!payment) throw paymentNotFound(orderId);
  const [operations, ledger] = await Promise.all([
    listOperationsOfOrder(deps.db, orderId),
    listLedgerRows(deps.db, { orderId, limit: 1_000 }),
  ]);
  return { payment, operations, ledger };
}

export const listLedger = (deps: PaymentsDeps, filter: { orderId?: string; afterId?: number; limit: number }): Promise<LedgerEntry[]> =>
  listLedgerRows(deps.db, filter);

export const listFindings = (deps: PaymentsDeps, filter: { orderId?: string; limit: number }): Promise<Finding[]> =>
  listFindingRows(deps.db, filter);
