import { inTransaction } from '@emporium/db';
import { unavailable } from '@emporium/errors';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { hintOperation, readWebhookArrival, recordWebhookEvent } from '../data-access/webhook-events-repository.js';
import type { PaymentsDeps, WebhookOutcome } from './deps.js';
import { invalidSignature, malformedEvent } from './errors.js';
import { newEffects, reportEffects } from './payment-change.js';
import type { ProviderRefund } from './provider.js';
import { syncIntent } from './sync-intent.js';
import { intentEventAlreadyRecorded, operationInFlightFor } from './webhook-hint.js';

export type WebhookResult = 'processed' | 'duplicate' | 'ignored';

interface ProviderEvent {
  id: string;
  type: string;
  data: { object: Record<string, unknown> };
}

function asEvent(value: unknown): ProviderEvent | undefined {
  const v = value as Partial<ProviderEvent> | null;
  if (!v || typeof v !== 'object' || typeof v.id !== 'string' || v.id.length === 0 || v.id.length > 255 || typeof v.type !== 'string')
    return undefined;
  if (!v.data || typeof v.data !== 'object' || !v.data.object || typeof v.data.object !== 'object') return undefined;
  return v as ProviderEvent;
}

/** The intent an event is about: the object itself, or the intent a refund belongs to. */
function intentIdOf(event: ProviderEvent): string | undefined {
  const object = event.data.object;
  if (event.type.startsWith('payment_intent.') && typeof object.id === 'string') return object.id;
  if (event.type.startsWith('refund.') && typeof object.payment_intent === 'string') return object.payment_intent;
  return undefined;
}

/** Verifies Standard Webhooks signatures (HMAC-SHA256 over id, timestamp and the raw body; 5-minute tolerance). */
export function createWebhookVerifier(secret: string): Webhook {
  return new StrictTimestampWebhook(secret);
}

/**
 * Unix seconds in plain digits, written as the sender signed them: the library reads "1700000000x"
 * as the second it starts with, and rebuilds the signed content from the number, so "01700000000"
 * (a leading zero, a header that was not what was signed) would verify too.
 */
const TIMESTAMP = /^(0|[1-9]\d{0,11})$/;

/** Standard Webhooks verification that also refuses a timestamp header that is not plain digits. */
class StrictTimestampWebhook extends Webhook {
  override verify(payload: string | Buffer, headers: Record<string, string>): unknown {
    if (!TIMESTAMP.test(headers['webhook-timestamp'] ?? '')) throw new WebhookVerificationError('Invalid timestamp');
    return super.verify(payload, headers);
  }
}

/**
 * A provider webhook. Its signature is checked on the raw body, constant-time, with the
 * timestamp tolerance (a forged or stale event → 400 `invalid_signature`, no effect). It is a
 * hint only: when our records already show what it reports (webhook-hint.ts) it is recorded and
 * nothing more; otherwise the intent is read again from the provider and the same sync as the
 * worker's runs, so duplicates and events out of order change nothing more. The event id is
 * recorded in the transaction of the effects; when the provider cannot be read, the answer is 503
 * and the provider delivers the event again.
 */
export async function handleProviderWebhook(
  deps: PaymentsDeps,
  verifier: Webhook,
  rawBody: Buffer,
  headers: Record<string, string | string[] | undefined>,
): Promise<WebhookResult> {
  const signed: Record<string, string> = {};
  for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
    const value = headers[name];
    if (typeof value === 'string') signed[name] = value;
  }
  let parsed: unknown;
  try {
    parsed = verifier.verify(rawBody, signed);
  } catch {
    deps.metrics.webhook('invalid_signature');
    throw invalidSignature();
  }
  const event = asEvent(parsed);
  if (!event) {
    deps.metrics.webhook('ignored');
    throw malformedEvent();
  }
  const intentId = intentIdOf(event);
  const record = { id: event.id, type: event.type, objectId: intentId ?? null };
  const answered = await answerFromRecords(deps, event, intentId, record);
  if (answered) return answered;
  if (!intentId) return 'ignored'; // answerFromRecords answers every event without an intent

  const intent = await deps.provider.getIntent(intentId);
  if (intent.kind === 'rejected') {
    // The provider does not know the object (e.g. another account's event): nothing to sync.
    await recordWebhookEvent(deps.db, record);
    deps.metrics.webhook('ignored');
    return 'ignored';
  }
  let refunds: ProviderRefund[] | undefined;
  if (intent.kind === 'ok' && intent.value.status === 'succeeded') {
    const list = await deps.provider.listRefunds(intentId);
    if (list.kind !== 'ok') return providerUnavailable(deps);
    refunds = list.value;
  }
  if (intent.kind !== 'ok') return providerUnavailable(deps);

  const outcome = await inTransaction(deps.db, async (trx) => {
    const fx = newEffects();
    if (!(await recordWebhookEvent(trx, record))) return { result: 'duplicate' as const, fx };
    await syncIntent(trx, deps, fx, intent.value, refunds, 'webhook');
    return { result: 'processed' as const, fx };
  });
  reportEffects(deps, outcome.fx);
  deps.metrics.webhook(outcome.result);
  return outcome.result;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const uuidOrNull = (value: unknown) => (typeof value === 'string' && UUID.test(value) ? value : null);

/**
 * The event answered from our own records, when they are enough (webhook-hint.ts): a copy of an
 * event seen before, an event about nothing of ours, a state already recorded, or the success of
 * a call of ours (its answer records it). Undefined: the intent must be read again from the provider.
 */
async function answerFromRecords(
  deps: PaymentsDeps,
  event: ProviderEvent,
  intentId: string | undefined,
  record: { id: string; type: string; objectId: string | null },
): Promise<WebhookResult | undefined> {
  const intent = event.type.startsWith('payment_intent.') ? event.data.object : undefined;
  const metadata = (intent?.metadata ?? {}) as Record<string, unknown>;
  const about = intentId ? { id: intentId, paymentId: uuidOrNull(metadata.payment_id), orderId: uuidOrNull(metadata.order_id) } : undefined;
  const arrival = await readWebhookArrival(deps.db, event.id, about);
  if (arrival.seen) return counted(deps, 'duplicate', 'duplicate');
  if (!intentId) {
    await recordWebhookEvent(deps.db, record);
    return counted(deps, 'ignored', 'ignored');
  }
  const p = arrival.payment;
  if (!p || !intent) return undefined;
  if (intentEventAlreadyRecorded(intent, p)) {
    // Nothing to learn: no read from the provider, no sync. Recorded, so that its copies are duplicates.
    const fresh = await recordWebhookEvent(deps.db, record);
    return fresh ? counted(deps, 'known', 'processed') : counted(deps, 'duplicate', 'duplicate');
  }
  const op = operationInFlightFor(intent, p, arrival.inFlight);
  if (!op) return undefined;
  // The call's answer reports the same success; the operation is looked at again if it does not.
  const hint = await hintOperation(deps.db, op.id, record);
  if (!hint || hint.status === 'failed') return undefined; // its answer says otherwise: ask the provider
  if (!hint.recorded) return counted(deps, 'duplicate', 'duplicate');
  return counted(deps, hint.status === 'pending' ? 'in_flight' : 'known', 'processed');
}

function counted(deps: PaymentsDeps, outcome: WebhookOutcome, result: WebhookResult): WebhookResult {
  deps.metrics.webhook(outcome);
  return result;
}

function providerUnavailable(deps: PaymentsDeps): never {
  deps.metrics.webhook('failed');
  throw unavailable('provider_unavailable', 'The payment provider could not be read; deliver the event again later');
}
