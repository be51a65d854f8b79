import type { PaymentIntent } from '../domain/payment-intent.js';
import type { RefundView } from '../domain/refund.js';

/**
 * The sandbox's state, in memory (a test double: it lasts as long as the process). Every
 * operation reads and changes it synchronously, so one operation is atomic with respect to
 * any other: two concurrent refunds cannot both see the same amount left.
 */
export class ProviderStore {
  readonly #intents = new Map<string, PaymentIntent>();
  readonly #intentsByOrder = new Map<string, PaymentIntent[]>();
  readonly #refunds: RefundView[] = [];

  addIntent(intent: PaymentIntent): void {
    this.#intents.set(intent.id, intent);
    const ofOrder = this.#intentsByOrder.get(intent.orderId) ?? [];
    ofOrder.push(intent);
    this.#intentsByOrder.set(intent.orderId, ofOrder);
  }

  intent(id: string): PaymentIntent | undefined {
    return this.#intents.get(id);
  }

  /** The intents of one order, oldest first. */
  intentsOfOrder(orderId: string): PaymentIntent[] {
    return [...(this.#intentsByOrder.get(orderId) ?? [])];
  }

  addRefund(refund: RefundView): void {
    this.#refunds.push(Object.freeze({ ...refund, metadata: Object.freeze({ ...refund.metadata }) }));
  }

  /** Refunds, oldest first; only those of one intent when `paymentIntentId` is given. */
  refunds(paymentIntentId?: string): RefundView[] {
    return paymentIntentId === undefined ? [...this.#refunds] : this.#refunds.filter((r) => r.payment_intent === paymentIntentId);
  }
}
