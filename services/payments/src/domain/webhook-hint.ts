import type { OperationKind, Payment } from './payment.js';

/**
 * Whether our records already show what a `payment_intent.*` event reports (its object: the intent
 * as it was when the event was sent), so that reading the intent again could teach us nothing.
 *
 * An event is a hint that the intent changed. When our payment is already at the state the event
 * reports, or past it along the only way states move (authorizing → requires_action → authorized
 * → captured, or → voided / failed), with the same amounts, the change it announces is recorded.
 * A change after it comes with its own event (the provider delivers each until answered), besides
 * the worker's own reads and the reconciliation. Anything else — an earlier state of ours, other
 * amounts, a field missing or odd — is read again from the provider, as every event used to be.
 * Nothing here ever changes a record: the event's content only decides whether to look.
 */
export function intentEventAlreadyRecorded(intent: Record<string, unknown>, p: Payment): boolean {
  if (intent.id !== p.intentId) return false;
  const authorizedAsReported = typeof intent.amount === 'number' && p.authorizedAmount === Math.min(intent.amount, p.amount);
  switch (intent.status) {
    case 'requires_action':
      return p.status !== 'authorizing';
    case 'requires_capture':
      return authorizedAsReported && (p.status === 'authorized' || p.status === 'captured' || p.status === 'voided');
    case 'succeeded':
      return (
        p.status === 'captured' &&
        typeof intent.amount_received === 'number' &&
        p.capturedAmount === Math.min(intent.amount_received, p.amount)
      );
    case 'canceled':
      return p.status === 'voided';
    case 'requires_payment_method':
      return p.status === 'failed';
    default:
      return false;
  }
}

/** The state of the intent a successful answer to each kind of operation shows. */
const SUCCESS_STATE: Partial<Record<OperationKind, string>> = {
  authorize: 'requires_capture',
  capture: 'succeeded',
  void: 'canceled',
};

/**
 * The operation of ours in flight whose answer will report what the event reports, if any: the
 * event announces the success of that very call (the authorization the event's intent was
 * created by, or the capture or cancellation of the payment's intent). Its answer — or, with no
 * answer, the same key sent again, which the provider replays — records the same state. The
 * event is then handed to the operation (hintOperation): an answer that left it pending, or
 * leaves it so, is followed at once by another look. Should its answer have failed it, the
 * event is read again from the provider after all. Only a success is taken this way: whatever
 * else an event reports is read again.
 */
export function operationInFlightFor(
  intent: Record<string, unknown>,
  p: Payment,
  inFlight: { id: string; kind: OperationKind }[],
): { id: string; kind: OperationKind } | undefined {
  const metadata = (intent.metadata ?? {}) as Record<string, unknown>;
  return inFlight.find((op) => {
    if (SUCCESS_STATE[op.kind] === undefined || intent.status !== SUCCESS_STATE[op.kind]) return false;
    if (op.kind === 'authorize') return metadata.operation_id === op.id && (p.intentId === null || p.intentId === intent.id);
    return p.intentId === intent.id;
  });
}
