import type { Operation, Payment } from './payment.js';

/**
 * An operation's state changes. Each returns the next state; the caller saves it in the
 * transaction that holds the operation's row lock. An ended operation never changes again.
 */

const ended = (_op: Operation, now: Date): Partial<Operation> => ({
  paymentMethod: null,
  leaseOwner: null,
  leaseUntil: null,
  outcomeUnknown: false,
  completedAt: now,
});

export const succeeded = (op: Operation, now: Date, providerRef?: string | null): Operation => ({
  ...op,
  ...ended(op, now),
  status: 'succeeded',
  providerRef: providerRef ?? op.providerRef,
});

export const failed = (op: Operation, now: Date, code: string, reason: string): Operation => ({
  ...op,
  ...ended(op, now),
  status: 'failed',
  failureCode: code,
  failureReason: reason.slice(0, 500),
});

/** Try again after `delayMs` with the same key; `unknown` says the last call got no answer. */
export const rescheduled = (
  op: Operation,
  now: Date,
  delayMs: number,
  note: { unknown?: boolean; error?: string | null } = {},
): Operation => ({
  ...op,
  nextAttemptAt: new Date(now.getTime() + delayMs),
  leaseOwner: null,
  leaseUntil: null,
  outcomeUnknown: note.unknown ?? op.outcomeUnknown,
  lastError: note.error === undefined ? op.lastError : note.error === null ? null : note.error.slice(0, 500),
});

/** The backoff after the n-th attempt (the last delay repeats). */
export function retryDelayMs(delays: number[], attempts: number): number {
  return delays[Math.min(Math.max(attempts, 1) - 1, delays.length - 1)] ?? 1_000;
}

/** Whether the operation's key may have been forgotten by the provider: then it is never sent again. */
export function keyExpired(op: Operation, now: Date, retentionMs: number): boolean {
  return op.firstSentAt !== null && now.getTime() - op.firstSentAt.getTime() >= retentionMs;
}

/** Whether the payment changed (so it needs saving). */
export function paymentChanged(a: Payment, b: Payment): boolean {
  return (
    a.status !== b.status ||
    a.intentId !== b.intentId ||
    a.authorizedAmount !== b.authorizedAmount ||
    a.capturedAmount !== b.capturedAmount ||
    a.refundedAmount !== b.refundedAmount ||
    a.refundPendingAmount !== b.refundPendingAmount ||
    a.failureCode !== b.failureCode ||
    a.failureReason !== b.failureReason
  );
}
