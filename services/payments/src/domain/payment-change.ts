import { appendToOutbox, type Envelope } from '@emporium/messaging';
import { recordFinding } from '../data-access/findings-repository.js';
import type { NewMovement } from '../data-access/ledger-repository.js';
import { writePaymentChange } from '../data-access/payment-change-writer.js';
import type { PaymentsDb, PaymentsTrx } from '../data-access/tables.js';
import type { OperationOutcome, PaymentsDeps } from './deps.js';
import { paymentChanged } from './operation.js';
import type { Operation, OperationKind, Payment } from './payment.js';
import { replyOf } from './replies.js';

/**
 * What one transaction did besides its rows, reported (metrics) only after it committed — a
 * transaction that is run again must not count twice.
 */
export interface Effects {
  operations: { kind: OperationKind; outcome: OperationOutcome }[];
  findings: string[];
  refundsSucceeded: number;
}

export const newEffects = (): Effects => ({ operations: [], findings: [], refundsSucceeded: 0 });

export function reportEffects(deps: PaymentsDeps, fx: Effects): void {
  for (const o of fx.operations) deps.metrics.operation(o.kind, o.outcome);
  for (const f of fx.findings) deps.metrics.finding(f);
  for (let i = 0; i < fx.refundsSucceeded; i++) deps.metrics.refundSucceeded();
}

/** Records a reconciliation finding once per (kind, intent) and counts it when new. */
export async function flag(
  trx: PaymentsDb,
  fx: Effects,
  finding: { kind: string; intentId: string; orderId: string | null; action: string; detail: string },
): Promise<void> {
  if (await recordFinding(trx, finding)) fx.findings.push(finding.kind);
}

/**
 * A payment and its pending operations, locked in one transaction (payment first, then its
 * operations: the one lock order of the service), changed in memory and saved together, with the
 * money movements learnt meanwhile (one statement). An operation that ends here has its reply
 * appended to the outbox in the same transaction.
 */
export class PaymentChange {
  readonly payment: Payment;
  private readonly original: Payment;
  private readonly ops: Map<string, Operation>;
  private readonly touched = new Set<string>();
  private readonly movements: NewMovement[] = [];

  constructor(payment: Payment, pendingOperations: Operation[]) {
    this.original = payment;
    this.payment = { ...payment };
    this.ops = new Map(pendingOperations.map((o) => [o.id, o]));
  }

  /** The payment's own pending operation of a kind (repairs by the reconciliation are not the payment's). */
  pending(kind: OperationKind): Operation | undefined {
    for (const op of this.ops.values()) if (op.kind === kind && op.status === 'pending' && op.origin !== 'reconciliation') return op;
    return undefined;
  }

  /** A pending operation by id (undefined once it has ended). */
  pendingById(id: string | undefined): Operation | undefined {
    if (!id) return undefined;
    const op = this.ops.get(id);
    return op?.status === 'pending' ? op : undefined;
  }

  update(op: Operation): void {
    this.ops.set(op.id, op);
    this.touched.add(op.id);
  }

  /** A money movement of the provider, written with the rest (once per kind and provider object: the ledger's key). */
  record(movement: NewMovement): void {
    this.movements.push(movement);
  }

  /** Whether this change already holds that movement (not yet written). */
  records(kind: NewMovement['kind'], providerRef: string): boolean {
    return this.movements.some((m) => m.kind === kind && m.providerRef === providerRef);
  }

  async save(trx: PaymentsTrx, deps: PaymentsDeps, fx: Effects): Promise<void> {
    const operations = [...this.touched].map((id) => this.ops.get(id)!);
    await writePaymentChange(trx, {
      payment: paymentChanged(this.original, this.payment) ? this.payment : undefined,
      operations,
      movements: this.movements,
    });
    const replies: Envelope[] = [];
    for (const op of operations) {
      if (op.status === 'pending') continue;
      const reply = replyOf(op, this.payment);
      if (reply) replies.push(reply);
      fx.operations.push({ kind: op.kind, outcome: op.status });
    }
    await appendToOutbox(trx, deps.messages, replies);
  }
}
