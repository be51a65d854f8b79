import { amountTooLarge, chargeAlreadyRefunded, unexpectedState } from './errors.js';
import type { LedgerKind } from './ledger.js';

export type IntentStatus = 'requires_payment_method' | 'requires_action' | 'requires_capture' | 'succeeded' | 'canceled';

export type IntentEventType =
  | 'payment_intent.amount_capturable_updated'
  | 'payment_intent.requires_action'
  | 'payment_intent.succeeded'
  | 'payment_intent.payment_failed'
  | 'payment_intent.canceled';

export interface PaymentError {
  code: string;
  decline_code?: string;
  message: string;
}

/** The wire shape of a payment intent (API.md, "Payment intents"). */
export interface PaymentIntentView {
  id: string;
  object: 'payment_intent';
  amount: number;
  currency: string;
  status: IntentStatus;
  capture_method: 'manual';
  amount_capturable: number;
  amount_received: number;
  metadata: Record<string, string>;
  last_payment_error: PaymentError | null;
  created: number;
  latest_charge: string | null;
  cancellation_reason: string | null;
}

/** What one transition did: the money it moved (for the ledger) and the event it raises. */
export interface Change {
  movement?: { kind: LedgerKind; amount: number };
  event: IntentEventType;
}

/**
 * A payment intent with manual capture: a state machine whose methods check the current state
 * and refuse with `payment_intent_unexpected_state` otherwise.
 *
 *   requires_payment_method ─confirm→ requires_capture | requires_action | requires_payment_method (declined)
 *   requires_action ─complete→ requires_capture | requires_payment_method (authentication failed)
 *   requires_capture ─capture→ succeeded
 *   requires_payment_method | requires_action | requires_capture ─cancel→ canceled
 */
export class PaymentIntent {
  status: IntentStatus = 'requires_payment_method';
  amountCapturable = 0;
  amountReceived = 0;
  amountRefunded = 0;
  lastPaymentError: PaymentError | null = null;
  latestCharge: string | null = null;
  cancellationReason: string | null = null;

  constructor(
    readonly id: string,
    readonly amount: number,
    readonly currency: string,
    readonly metadata: Readonly<Record<string, string>> & { order_id: string },
    /** Unix seconds. */
    readonly created: number,
  ) {}

  get orderId(): string {
    return this.metadata.order_id;
  }

  /** What may still be refunded: captured minus refunded. */
  get refundable(): number {
    return this.amountReceived - this.amountRefunded;
  }

  /** The card network approved the hold: the whole amount becomes capturable. */
  authorize(chargeId: string): Change {
    this.#expect('confirm', 'requires_payment_method', 'requires_action');
    this.status = 'requires_capture';
    this.amountCapturable = this.amount;
    this.lastPaymentError = null;
    this.latestCharge = chargeId;
    return { movement: { kind: 'authorization', amount: this.amount }, event: 'payment_intent.amount_capturable_updated' };
  }

  /** 3-D Secure (or similar) must be completed by the customer before the hold is made. */
  requireAction(): Change {
    this.#expect('confirm', 'requires_payment_method');
    this.status = 'requires_action';
    return { event: 'payment_intent.requires_action' };
  }

  /** A failed attempt: the intent goes back to requires_payment_method with the reason; no money moved. */
  fail(error: PaymentError, chargeId: string | null): Change {
    this.#expect('confirm', 'requires_payment_method', 'requires_action');
    this.status = 'requires_payment_method';
    this.lastPaymentError = error;
    if (chargeId) this.latestCharge = chargeId;
    return { event: 'payment_intent.payment_failed' };
  }

  /** Captures `amount` (default: all that is capturable); the rest of the hold is released. */
  capture(amount = this.amountCapturable): Change {
    this.#expect('capture', 'requires_capture');
    if (amount > this.amountCapturable) throw amountTooLarge('amount_to_capture', this.amountCapturable);
    this.status = 'succeeded';
    this.amountReceived = amount;
    this.amountCapturable = 0;
    return { movement: { kind: 'capture', amount }, event: 'payment_intent.succeeded' };
  }

  /** Cancels; an authorization still held is voided (the ledger shows the void). */
  cancel(reason: string | null): Change {
    this.#expect('cancel', 'requires_payment_method', 'requires_action', 'requires_capture');
    const held = this.status === 'requires_capture' ? this.amountCapturable : 0;
    this.status = 'canceled';
    this.amountCapturable = 0;
    this.cancellationReason = reason;
    return held > 0 ? { movement: { kind: 'void', amount: held }, event: 'payment_intent.canceled' } : { event: 'payment_intent.canceled' };
  }

  /**
   * Gives back `amount` (default: all that is left) of what was captured; returns the amount
   * refunded. More than what is left → amount_too_large; no amount and nothing left → charge_already_refunded.
   */
  refund(amount?: number): number {
    this.#expect('refund', 'succeeded');
    if (amount === undefined && this.refundable === 0) throw chargeAlreadyRefunded();
    const value = amount ?? this.refundable;
    if (value > this.refundable) throw amountTooLarge('amount', this.refundable);
    this.amountRefunded += value;
    return value;
  }

  view(): PaymentIntentView {
    return {
      id: this.id,
      object: 'payment_intent',
      amount: this.amount,
      currency: this.currency,
      status: this.status,
      capture_method: 'manual',
      amount_capturable: this.amountCapturable,
      amount_received: this.amountReceived,
      metadata: { ...this.metadata },
      last_payment_error: this.lastPaymentError ? { ...this.lastPaymentError } : null,
      created: this.created,
      latest_charge: this.latestCharge,
      cancellation_reason: this.cancellationReason,
    };
  }

  #expect(action: string, ...allowed: IntentStatus[]): void {
    if (!allowed.includes(this.status)) throw unexpectedState(action, this, this.view());
  }
}
