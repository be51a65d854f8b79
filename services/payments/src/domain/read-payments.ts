import { authorize, authorizeVisible, type Principal } from '@emporium/auth';
import { listFindings as listFindingRows, type Finding } from '../data-access/findings-repository.js';
import { type LedgerEntry, listLedger as listLedgerRows } from '../data-access/ledger-repository.js';
import { listOperationsOfOrder } from '../data-access/operations-repository.js';
import { findPaymentByOrder } from '../data-access/payments-repository.js';
import { paymentsPolicy } from '../policy.js';
import type { PaymentsDeps } from './deps.js';
import { paymentNotFound } from './errors.js';
import type { Operation, Payment } from './payment.js';

export interface PaymentOfOrder {
  payment: Payment;
  operations: Operation[];
  ledger: LedgerEntry[];
}

/**
 * The payment of an order the principal may read (policy.ts), or `payment_not_found`, the same
 * answer whether the order has no payment or the payment is not theirs to see.
 */
async function readablePayment(deps: PaymentsDeps, principal: Principal, orderId: string): Promise<Payment> {
  const payment = await findPaymentByOrder(deps.db, orderId);
  if (!payment) throw paymentNotFound(orderId);
  authorizeVisible(paymentsPolicy(principal), 'read', 'Payment', payment, () => paymentNotFound(orderId));
  return payment;
}

/** An order's payment with every operation asked of the provider and every money movement recorded. */
export async function getPaymentOfOrder(deps: PaymentsDeps, principal: Principal, orderId: string): Promise<PaymentOfOrder> {
  const payment = await readablePayment(deps, principal, orderId);
  const [operations, ledger] = await Promise.all([
    listOperationsOfOrder(deps.db, orderId),
    listLedgerRows(deps.db, { orderId, limit: 1_000 }),
  ]);
  return { payment, operations, ledger };
}

export interface RefundsOfPayment {
  payment: Payment;
  /** Refunds asked by the order's saga or an admin (not the reconciliation's repairs of stray intents). */
  refunds: Operation[];
}

/** The payment of one of the customer's orders and its refunds (what the customer's view shows). */
export async function getRefundsOfPayment(deps: PaymentsDeps, principal: Principal, orderId: string): Promise<RefundsOfPayment> {
  const payment = await readablePayment(deps, principal, orderId);
  const operations = await listOperationsOfOrder(deps.db, orderId);
  return { payment, refunds: operations.filter(isRefundOfOrder) };
}

export const isRefundOfOrder = (op: Operation) => op.kind === 'refund' && op.origin !== 'reconciliation';

export async function listLedger(
  deps: PaymentsDeps,
  principal: Principal,
  filter: { orderId?: string; afterId?: number; limit: number },
): Promise<LedgerEntry[]> {
  authorize(paymentsPolicy(principal), 'read', 'Ledger');
  return listLedgerRows(deps.db, filter);
}

export async function listFindings(
  deps: PaymentsDeps,
  principal: Principal,
  filter: { orderId?: string; limit: number },
): Promise<Finding[]> {
  authorize(paymentsPolicy(principal), 'read', 'Finding');
  return listFindingRows(deps.db, filter);
}
