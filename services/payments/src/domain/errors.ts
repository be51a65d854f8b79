import { AppError, badRequest, conflict, notFound, unprocessable } from '@emporium/errors';

/** Every refusal of the payments service, each with its stable code (STYLE.md §8). Tests assert the code. */

export const paymentNotFound = (orderId: string) => notFound('payment_not_found', `No payment exists for the order ${orderId}`);

export const idempotencyKeyRequired = () =>
  badRequest('idempotency_key_required', 'A refund needs an Idempotency-Key header (1 to 255 visible characters), unique per refund');

/** The same key was used for a refund of another amount (IETF httpapi Idempotency-Key draft §2.7). */
export const idempotencyKeyReused = () =>
  unprocessable('idempotency_key_reused', 'This Idempotency-Key was already used for a refund with another body; use a new key');

export const paymentNotCaptured = (status: string) =>
  conflict('payment_not_captured', `Only a captured payment can be refunded; this one is ${status}`, { status });

export const refundExceedsCapture = (refundable: number, currency: string) =>
  unprocessable('refund_exceeds_capture', `At most ${refundable} (minor units of ${currency}) can still be refunded`, {
    refundable,
    currency,
  });

/** The webhook's signature or timestamp did not verify (Standard Webhooks): the event is ignored. */
export const invalidSignature = () => new AppError('invalid_signature', 'The webhook signature or its timestamp is not valid', 400);

export const malformedEvent = () => badRequest('malformed_event', 'The webhook body is not a provider event');
