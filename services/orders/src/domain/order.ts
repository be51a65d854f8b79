import { randomUUID } from 'node:crypto';
import { OrdersOrderCancelledV1 } from '@emporium/contracts';
import type { Envelope } from '@emporium/messaging';
import { CHECKOUT_SAGA, stepAfter, stepsToUndo } from './checkout-saga.js';
import { IllegalTransition, orderNeedsAttention } from './errors.js';
import { type Money, sameMoney } from './money.js';
import { addMs, type OrderData, type OrderLine, type SagaPolicy, type ShippingAddress } from './order-data.js';
import { canMove, type OrderStatus } from './status.js';
import { authorizePayment } from './steps/authorize-payment.js';
import { commitStockAndCapture } from './steps/commit-stock-and-capture.js';
import { reserveStock } from './steps/reserve-stock.js';
import { aboutOrder, clip, type SagaStep, type SagaStepId } from './steps/step.js';
import { because, say, type TimelineEntry, type TimelineStatus, type TimelineStep } from './timeline.js';

/** What one change of an order produced: saved with the order, in its transaction. */
export interface OrderChanges {
  /** Commands and events for the outbox. */
  messages: Envelope[];
  timeline: TimelineEntry[];
  /** Saga steps that completed, with how long they took (emporium_saga_step_duration_seconds). */
  completedSteps: { step: SagaStepId; seconds: number }[];
  /** Saga steps whose undo was sent (emporium_saga_compensations_total). */
  compensatedSteps: SagaStepId[];
  /** The checkout saga ended with this change: how, and how long after the order was placed (emporium_saga_duration_seconds). */
  sagaEnded: { outcome: SagaOutcome; seconds: number } | null;
}

/** How a checkout saga ends: the order confirmed, or cancelled before it ever was. */
export type SagaOutcome = 'confirmed' | 'cancelled';

/** `applied`: the message changed the order. `ignored`: it did not fit the order's state (late, repeated, reordered). */
export type Outcome = 'applied' | 'ignored';

export interface NewOrder {
  id: string;
  customerId: string;
  region: string | null;
  email: string;
  shippingAddress: ShippingAddress;
  lines: OrderLine[];
  total: Money;
  paymentMethod: string;
}

/**
 * The order aggregate: a state machine (STYLE.md §5, I11) that orchestrates the checkout saga.
 * Its status changes only through the methods below; each checks the current state, and a reply
 * that does not fit it (late, repeated, out of order) is ignored. Each method appends the commands
 * and events it causes; the caller saves the order, its timeline and its outbox messages in one
 * transaction. Pure: no I/O, the clock is given.
 */
export class Order {
  private readonly changes: OrderChanges = { messages: [], timeline: [], completedSteps: [], compensatedSteps: [], sagaEnded: null };

  private constructor(
    private readonly s: OrderData,
    private readonly policy: SagaPolicy,
    private readonly now: Date,
  ) {}

  /** A new order, pending, whose saga starts at once: the reserve command goes out with it. */
  static place(input: NewOrder, policy: SagaPolicy, now: Date): Order {
    const order = new Order(
      {
        ...input,
        status: 'pending',
        step: null,
        stepStartedAt: null,
        stepDeadline: null,
        stepAttempts: 0,
        reservationExpiresAt: addMs(now, policy.reservationTtlMs),
        stockReservedAt: null,
        paymentId: null,
        paymentAuthorizedAt: null,
        paymentCapturedAt: null,
        stockCommittedAt: null,
        stockReleasedAt: null,
        paymentVoidedAt: null,
        confirmedAt: null,
        cancelledAt: null,
        cancelRequestedAt: null,
        cancelReason: null,
        refundId: null,
        refundedAt: null,
        createdAt: now,
        updatedAt: now,
        version: 1,
      },
      policy,
      now,
    );
    order.note('placeOrder', 'succeeded', say.placed(order.s));
    order.begin(CHECKOUT_SAGA[0] as SagaStep);
    return order;
  }

  static load(data: OrderData, policy: SagaPolicy, now: Date): Order {
    return new Order(structuredClone(data), policy, now);
  }

  get data(): Readonly<OrderData> {
    return this.s;
  }

  /** What the calls so far produced (to save), once. */
  pullChanges(): OrderChanges {
    const out = { ...this.changes };
    this.changes.messages = [];
    this.changes.timeline = [];
    this.changes.completedSteps = [];
    this.changes.compensatedSteps = [];
    this.changes.sagaEnded = null;
    return out;
  }

  // ── replies of inventory ────────────────────────────────────────────────────────────────

  stockReserved(reply: { expiresAt: string }): Outcome {
    if (this.s.status === 'reserving') {
      this.s.stockReservedAt = this.now;
      this.s.reservationExpiresAt = new Date(reply.expiresAt);
      this.note('reserveStock', 'succeeded', say.reserved(this.s.reservationExpiresAt));
      this.complete('reserveStock');
      return 'applied';
    }
    if (this.isGivenUp() && !this.s.stockReservedAt) {
      // A hold made after the order was given up (its answer came late, or the release overtook
      // the reservation): give it back again. Releasing is harmless, so err on that side.
      this.s.stockReservedAt = this.now;
      this.undo(reserveStock, this.s.cancelReason ?? because.customer);
      return 'applied';
    }
    return 'ignored';
  }

  stockReservationFailed(reply: {
    reason: 'out_of_stock' | 'unknown_sku';
    shortages: { sku: string; requested: number; available: number }[];
  }): Outcome {
    const why = reply.reason === 'unknown_sku' ? because.unknownSku : because.outOfStock(reply.shortages);
    if (this.s.status === 'capturing' && this.s.paymentCapturedAt && !this.s.stockCommittedAt) {
      // The commit was refused: the hold had expired before it and its units went to other
      // orders (inventory re-reserves a late commit only while stock allows). The money is taken
      // for items we cannot ship, so it all goes back, as after a cancellation.
      this.note('commitStock', 'failed', say.notCommitted(), why);
      this.refund(this.s.cancelRequestedAt ? (this.s.cancelReason ?? because.customer) : why);
      return 'applied';
    }
    if (this.s.status !== 'reserving') return 'ignored';
    this.note('reserveStock', 'failed', say.notReserved(), why);
    // All or nothing: a failed reservation holds nothing, so there is nothing to undo.
    this.compensate('reserveStock', why, { includingFailed: false });
    return 'applied';
  }

  stockCommitted(): Outcome {
    if (this.s.status !== 'capturing' || this.s.stockCommittedAt) return 'ignored';
    this.s.stockCommittedAt = this.now;
    this.note('commitStock', 'succeeded', say.committed());
    // Out of order (before the capture's answer): remember it; the capture decides.
    if (!this.s.paymentCapturedAt) return 'applied';
    if (this.s.cancelRequestedAt) this.refund(this.s.cancelReason ?? because.customer);
    else this.complete('commitStockAndCapture');
    return 'applied';
  }

  stockReleased(reply: { reason: 'requested' | 'expired'; lines: unknown[] }): Outcome {
    // Nothing was held (a release that found nothing): nothing to tell.
    if (this.s.stockReleasedAt || reply.lines.length === 0) return 'ignored';
    if (reply.reason === 'expired' && this.s.status === 'authorizing') {
      // The hold ran out while the payment was still unfinished: the order cannot be fulfilled.
      this.s.stockReleasedAt = this.now;
      this.note('authorizePayment', 'failed', say.notAuthorized(), because.holdExpired);
      this.compensate('authorizePayment', because.holdExpired, { includingFailed: true });
      return 'applied';
    }
    this.s.stockReleasedAt = this.now;
    this.note('releaseStock', 'succeeded', reply.reason === 'expired' ? say.holdExpired() : say.released());
    return 'applied';
  }

  // ── replies of payments ─────────────────────────────────────────────────────────────────

  paymentAuthorized(reply: { paymentId: string; amount: Money }): Outcome {
    if (this.s.status === 'authorizing') {
      this.s.paymentId = reply.paymentId;
      this.s.paymentAuthorizedAt = this.now;
      this.s.paymentMethod = null;
      if (!sameMoney(reply.amount, this.s.total)) {
        // Never go on with an amount other than the order's: undo the authorization too.
        this.note('authorizePayment', 'failed', say.notAuthorized(), because.amountMismatch);
        this.compensate('authorizePayment', because.amountMismatch, { includingFailed: true });
        return 'applied';
      }
      this.note('authorizePayment', 'succeeded', say.authorized(this.s));
      this.complete('authorizePayment');
      return 'applied';
    }
    if (this.isGivenUp() && !this.s.paymentAuthorizedAt) {
      // An authorization made after the order was given up: void it again (harmless if done).
      this.s.paymentId = reply.paymentId;
      this.s.paymentAuthorizedAt = this.now;
      this.undo(authorizePayment, this.s.cancelReason ?? because.customer);
      return 'applied';
    }
    return 'ignored';
  }

  paymentAuthorizationFailed(reply: { code: string; reason: string }): Outcome {
    if (this.s.status !== 'authorizing') return 'ignored';
    this.s.paymentMethod = null;
    this.note('authorizePayment', 'failed', say.notAuthorized(), reply.reason);
    // A decline holds nothing: no void. Any other failure (an abandoned challenge, a provider
    // error) may leave an intent behind, and a void is harmless: send one.
    const declined = reply.code === 'card_declined' || reply.code === 'insufficient_funds';
    this.compensate('authorizePayment', reply.reason, { includingFailed: !declined });
    return 'applied';
  }

  paymentCaptured(): Outcome {
    if (this.s.status === 'capturing' && !this.s.paymentCapturedAt) {
      this.s.paymentCapturedAt = this.now;
      this.note('capturePayment', 'succeeded', say.captured(this.s));
      if (this.s.cancelRequestedAt) {
        this.refund(this.s.cancelReason ?? because.customer);
      } else if (this.s.stockCommittedAt) {
        this.complete('commitStockAndCapture');
      } else {
        this.send(commitStockAndCapture.commit(this.s));
        this.note('commitStock', 'started', say.committing());
        this.restartWait(commitStockAndCapture);
      }
      return 'applied';
    }
    if (this.s.status === 'cancelled' && !this.s.paymentCapturedAt && !this.s.refundId) {
      // Money taken for an order already cancelled (a capture that contradicts an earlier
      // answer): give it back. Guards I6 (a cancelled order keeps no capture).
      this.s.refundId = randomUUID();
      this.undo(commitStockAndCapture, this.s.cancelReason ?? because.customer);
      this.note('refundPayment', 'started', say.lateCharge());
      return 'applied';
    }
    return 'ignored';
  }

  paymentCaptureFailed(reply: { reason: string }): Outcome {
    if (this.s.status !== 'capturing' || this.s.paymentCapturedAt) return 'ignored';
    this.note('capturePayment', 'failed', say.notCaptured(), reply.reason);
    // The pivot did not happen (the commit is only sent after a capture): undo the steps before it.
    this.compensate('commitStockAndCapture', this.s.cancelRequestedAt ? (this.s.cancelReason ?? because.customer) : reply.reason, {
      includingFailed: false,
    });
    return 'applied';
  }

  paymentVoided(): Outcome {
    if (this.s.paymentVoidedAt) return 'ignored';
    this.s.paymentVoidedAt = this.now;
    this.note('voidPayment', 'succeeded', say.voided());
    return 'applied';
  }

  refundSucceeded(reply: { refundId: string }): Outcome {
    if (reply.refundId !== this.s.refundId || this.s.refundedAt) return 'ignored';
    this.s.refundedAt = this.now;
    this.note('refundPayment', 'succeeded', say.refunded(this.s));
    if (this.s.status === 'cancelling' || this.s.status === 'needs_attention') this.cancel(this.s.cancelReason ?? because.customer);
    return 'applied';
  }

  refundFailed(reply: { refundId: string; reason: string }): Outcome {
    if (this.s.status !== 'cancelling' || reply.refundId !== this.s.refundId) return 'ignored';
    this.note('refundPayment', 'failed', say.refundFailed(), reply.reason);
    this.moveTo('needs_attention');
    this.rest();
    return 'applied';
  }

  // ── the customer ────────────────────────────────────────────────────────────────────────

  /**
   * Before the pivot: undo what was done (void, release) and cancel. During the pivot: remembered,
   * and carried out once the capture's outcome is known. After it: a full refund. Asking again
   * changes nothing (one refund at most).
   */
  requestCancellation(): Outcome {
    switch (this.s.status) {
      case 'pending':
      case 'reserving':
        this.note('cancel', 'requested', because.customer);
        this.compensate('reserveStock', because.customer, { includingFailed: true });
        return 'applied';
      case 'authorizing':
        this.note('cancel', 'requested', because.customer);
        this.compensate('authorizePayment', because.customer, { includingFailed: true });
        return 'applied';
      case 'capturing':
        if (this.s.cancelRequestedAt) return 'ignored';
        this.s.cancelRequestedAt = this.now;
        this.s.cancelReason = because.customer;
        this.note('cancel', 'requested', say.cancelRequested());
        return 'applied';
      case 'confirmed':
        this.s.cancelRequestedAt = this.now;
        this.note('cancel', 'requested', because.customer);
        this.refund(because.customer);
        return 'applied';
      case 'cancelling':
      case 'cancelled':
        return 'ignored';
      case 'needs_attention':
        throw orderNeedsAttention(this.s.id);
    }
  }

  // ── the clock ───────────────────────────────────────────────────────────────────────────

  /**
   * The step's deadline passed. Before the pivot: ask again a few times, then undo and cancel
   * (the payment is waited for as long as the stock is held). The pivot and a refund are never
   * given up: their outcome is unknown, so the same command is sent again, with the same keys.
   */
  stepTimedOut(): Outcome {
    if (!this.s.stepDeadline || this.s.stepDeadline > this.now) return 'ignored';
    switch (this.s.status) {
      case 'reserving':
        if (this.s.stepAttempts < this.policy.maxAttempts) return this.retry(reserveStock, reserveStock.invoke(this.s));
        this.note('reserveStock', 'failed', say.notReserved(), because.reserveTimedOut);
        this.compensate('reserveStock', because.reserveTimedOut, { includingFailed: true });
        return 'applied';
      case 'authorizing':
        if (this.s.reservationExpiresAt && this.s.reservationExpiresAt <= this.now) {
          this.note('authorizePayment', 'failed', say.notAuthorized(), because.paymentAbandoned);
          this.compensate('authorizePayment', because.paymentAbandoned, { includingFailed: true });
          return 'applied';
        }
        return this.retry(authorizePayment, authorizePayment.invoke(this.s));
      case 'capturing':
        return this.retry(commitStockAndCapture, commitStockAndCapture.resend(this.s));
      case 'cancelling':
        return this.retry(
          commitStockAndCapture,
          commitStockAndCapture.compensate?.(this.s, this.s.cancelReason ?? because.customer) ?? [],
          this.policy.refundTimeoutMs,
        );
      default:
        // A deadline left on an order at rest: nothing to wait for.
        this.rest();
        return 'applied';
    }
  }

  /** Sent again more often than the policy allows (a pivot or refund that never answers). */
  get isStuck(): boolean {
    return this.s.status === 'needs_attention' || (this.s.step !== null && this.s.stepAttempts > this.policy.maxAttempts);
  }

  // ── the saga's moves ────────────────────────────────────────────────────────────────────

  private begin(step: SagaStep): void {
    this.moveTo(step.status);
    this.send(step.invoke(this.s));
    const deadline = step.deadline(this.s, this.policy, this.now);
    if (!deadline) {
      // A final step waits for no answer: done as soon as it is sent.
      this.rest();
      if (step.status === 'confirmed') {
        this.s.confirmedAt = this.now;
        this.note('confirm', 'succeeded', say.confirmed(this.s));
      }
      return;
    }
    this.s.step = step.id;
    this.s.stepStartedAt = this.now;
    this.s.stepAttempts = 1;
    this.s.stepDeadline = deadline;
    this.noteStarted(step);
  }

  private complete(id: SagaStepId): void {
    if (this.s.stepStartedAt)
      this.changes.completedSteps.push({ step: id, seconds: (this.now.getTime() - this.s.stepStartedAt.getTime()) / 1000 });
    const next = stepAfter(id);
    if (next) this.begin(next);
    else this.rest();
  }

  /** The saga cannot go on before its pivot: undo the steps that may have taken effect, newest first, and cancel. */
  private compensate(failed: SagaStepId, reason: string, options: { includingFailed: boolean }): void {
    for (const step of stepsToUndo(failed, options)) this.undo(step, reason);
    this.cancel(reason);
  }

  private undo(step: SagaStep, reason: string): void {
    this.send(step.compensate?.(this.s, reason) ?? []);
    this.changes.compensatedSteps.push(step.id);
    if (step.id === 'reserveStock') this.note('releaseStock', 'started', say.releasing());
    if (step.id === 'authorizePayment') this.note('voidPayment', 'started', say.voiding());
  }

  /** After the pivot: refund the whole capture and give the stock back, then wait for the refund. */
  private refund(reason: string): void {
    this.s.cancelReason = reason;
    this.s.refundId ??= randomUUID();
    this.undo(commitStockAndCapture, reason);
    this.note('releaseStock', 'started', say.releasing());
    this.note('refundPayment', 'started', say.refunding(this.s));
    this.moveTo('cancelling');
    this.s.step = commitStockAndCapture.id;
    this.s.stepStartedAt = this.now;
    this.s.stepAttempts = 1;
    this.s.stepDeadline = addMs(this.now, this.policy.refundTimeoutMs);
  }

  private cancel(reason: string): void {
    this.moveTo('cancelled');
    this.s.cancelledAt = this.now;
    this.s.cancelReason = reason;
    this.s.paymentMethod = null;
    this.rest();
    const refunded = this.s.refundedAt !== null;
    this.note('cancel', 'succeeded', refunded ? say.cancelledRefunded(this.s) : say.cancelled(), reason);
    this.send([
      aboutOrder(OrdersOrderCancelledV1, this.s, {
        orderId: this.s.id,
        customerId: this.s.customerId,
        email: this.s.email,
        reason: clip(reason),
        refunded,
      }),
    ]);
  }

  private retry(step: SagaStep, messages: Envelope[], timeoutMs?: number): Outcome {
    this.s.stepAttempts += 1;
    this.send(messages);
    this.s.stepDeadline = timeoutMs === undefined ? step.deadline(this.s, this.policy, this.now) : addMs(this.now, timeoutMs);
    if (this.s.stepAttempts <= this.policy.maxAttempts) this.note(this.waitingFor(), 'retried', say.retried(this.s.stepAttempts));
    else if (this.s.stepAttempts === this.policy.maxAttempts + 1) this.note(this.waitingFor(), 'retried', say.stillWaiting());
    return 'applied';
  }

  /** A new wait within the same step (the pivot's second half). */
  private restartWait(step: SagaStep): void {
    this.s.stepAttempts = 1;
    this.s.stepDeadline = step.deadline(this.s, this.policy, this.now);
  }

  private rest(): void {
    this.s.step = null;
    this.s.stepStartedAt = null;
    this.s.stepDeadline = null;
    this.s.stepAttempts = 0;
  }

  private moveTo(next: OrderStatus): void {
    if (!canMove(this.s.status, next)) throw new IllegalTransition(this.s.status, next);
    // The checkout saga ends at the first terminal state. A confirmed order cancelled later (a
    // refund) is an after-sale, not the saga: counting it would stretch the saga's durations by
    // however long the customer kept the goods.
    if ((next === 'confirmed' || (next === 'cancelled' && !this.s.confirmedAt)) && !this.changes.sagaEnded) {
      this.changes.sagaEnded = { outcome: next, seconds: (this.now.getTime() - this.s.createdAt.getTime()) / 1000 };
    }
    this.s.status = next;
    this.s.updatedAt = this.now;
  }

  /** Cancelled, or cancelling/needs attention after the pivot: what arrives now is late. */
  private isGivenUp(): boolean {
    return this.s.status === 'cancelled' || this.s.status === 'cancelling' || this.s.status === 'needs_attention';
  }

  /** The timeline step the saga is waiting on now. */
  private waitingFor(): TimelineStep {
    if (this.s.status === 'reserving') return 'reserveStock';
    if (this.s.status === 'authorizing') return 'authorizePayment';
    if (this.s.status === 'cancelling') return 'refundPayment';
    return this.s.paymentCapturedAt ? 'commitStock' : 'capturePayment';
  }

  private noteStarted(step: SagaStep): void {
    if (step.id === 'reserveStock') this.note('reserveStock', 'started', say.reserving());
    if (step.id === 'authorizePayment') this.note('authorizePayment', 'started', say.authorizing(this.s));
    if (step.id === 'commitStockAndCapture') this.note('capturePayment', 'started', say.capturing(this.s));
  }

  private note(step: TimelineStep, status: TimelineStatus, detail: string, reason?: string): void {
    this.changes.timeline.push({ step, status, at: this.now, detail, ...(reason ? { reason } : {}) });
    this.s.updatedAt = this.now;
  }

  private send(messages: Envelope[]): void {
    this.changes.messages.push(...messages);
  }
}
