import { authorizePayment } from './steps/authorize-payment.js';
import { commitStockAndCapture } from './steps/commit-stock-and-capture.js';
import { confirm } from './steps/confirm.js';
import { reserveStock } from './steps/reserve-stock.js';
import type { SagaStep, SagaStepId } from './steps/step.js';

/**
 * The checkout saga, in order (DESIGN.md, Checkout saga). Orders orchestrates it: each step sends
 * a command and waits for the answer; compensation runs backwards from the failed step.
 *
 * | step                  | invoke                                                 | compensate                                  |
 * | --------------------- | ------------------------------------------------------ | ------------------------------------------- |
 * | reserveStock          | inventory.reserve.requested.v1                         | inventory.release.requested.v1              |
 * | authorizePayment      | payments.authorize.requested.v1                        | payments.void.requested.v1                  |
 * | commitStockAndCapture | payments.capture.requested.v1, then                    | payments.refund.requested.v1 (new refundId) |
 * |   (the pivot)         |   inventory.commit.requested.v1 once captured          |   + release while not committed             |
 * | confirm               | orders.order.confirmed.v1 (→ notifications)            | —                                           |
 */
export const CHECKOUT_SAGA: readonly SagaStep[] = [reserveStock, authorizePayment, commitStockAndCapture, confirm];

export function stepAfter(id: SagaStepId): SagaStep | undefined {
  return CHECKOUT_SAGA[CHECKOUT_SAGA.findIndex((s) => s.id === id) + 1];
}

/** The steps to undo when `failed` fails, newest first: those before it, and itself when it may have taken effect. */
export function stepsToUndo(failed: SagaStepId, options: { includingFailed: boolean }): SagaStep[] {
  const index = CHECKOUT_SAGA.findIndex((s) => s.id === failed);
  return CHECKOUT_SAGA.slice(0, options.includingFailed ? index + 1 : index)
    .filter((s) => s.kind === 'compensable')
    .reverse();
}
