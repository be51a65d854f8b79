import { inTransaction } from '@emporium/db';
import { unavailable } from '@emporium/errors';
import { Webhook } from 'standardwebhooks';
import { recordWebhookEvent, webhookEventSeen } from '../data-access/webhook-events-repository.js';
import type { PaymentsDeps } from './deps.js';
import { invalidSignature, malformedEvent } from './errors.js';
import { newEffects, reportEffects } from './payment-change.js';
import type { ProviderRefund } from './provider.js';
import { syncIntent } from './sync-intent.js';

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
  return new Webhook(secret);
}

/**
 * A provider webhook. Its signature is checked on the raw body, constant-time, with the
 * timestamp tolerance (a forged or stale event → 400 `invalid_signature`, no effect). It is a
 * hint only: the intent is read again from the provider and the same sync as the worker's runs,
 * so duplicates and events out of order change nothing more. The event id is recorded in the
 * transaction of the effects; when the provider cannot be read, the answer is 503 and the
 * provider delivers the event again.
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
  if (await webhookEventSeen(deps.db, event.id)) {
    deps.metrics.webhook('duplicate');
    return 'duplicate';
  }
  const intentId = intentIdOf(event);
  const record = { id: event.id, type: event.type, objectId: intentId ?? null };
  if (!intentId) {
    await inTransaction(deps.db, (trx) => recordWebhookEvent(trx, record));
    deps.metrics.webhook('ignored');
    return 'ignored';
  }

  const intent = await deps.provider.getIntent(intentId);
  if (intent.kind === 'rejected') {
    // The provider does not know the object (e.g. another account's event): nothing to sync.
    await inTransaction(deps.db, (trx) => recordWebhookEvent(trx, record));
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

function providerUnavailable(deps: PaymentsDeps): never {
  deps.metrics.webhook('failed');
  throw unavailable('provider_unavailable', 'The payment provider could not be read; deliver the event again later');
}
