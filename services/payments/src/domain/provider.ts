/**
 * The payment provider as the domain sees it (sandboxes/payment-provider/API.md): a port whose
 * adapter is data-access/provider-client.ts. Every answer is classified once, here, by what it
 * tells us about the money: done, refused, not done, or unknown.
 */

export type IntentStatus = 'requires_payment_method' | 'requires_action' | 'requires_capture' | 'succeeded' | 'canceled';

export interface ProviderIntent {
  id: string;
  status: IntentStatus;
  amount: number;
  /** Lower-case ISO code, as the provider writes it. */
  currency: string;
  amount_capturable: number;
  amount_received: number;
  metadata: Record<string, string>;
  last_payment_error: { code: string; decline_code?: string; message?: string } | null;
}

export interface ProviderRefund {
  id: string;
  amount: number;
  currency: string;
  payment_intent: string;
  status: string;
  metadata: Record<string, string>;
}

export type ProviderAnswer<T> =
  /** Done (or replayed for our key): here is the object. */
  | { kind: 'ok'; value: T }
  /** The card was declined (402): nothing was authorized. */
  | { kind: 'declined'; code: string; declineCode: string | undefined; message: string; intent: ProviderIntent | undefined }
  /** A definitive refusal (4xx): nothing was done and trying again will not change it. */
  | { kind: 'rejected'; status: number; code: string; message: string }
  /** Nothing was done, try again later with the same key (429, 409 in progress, 401). */
  | { kind: 'retry_later'; reason: string; retryAfterMs: number | undefined }
  /** No answer (timeout, connection lost, 5xx): it may or may not have happened. */
  | { kind: 'unknown'; reason: string };

/** Metadata we attach to everything we create, so an object found later is recognised as ours. */
export interface OurMetadata {
  order_id: string;
  payment_id?: string;
  operation_id: string;
  refund_id?: string;
  [key: string]: string | undefined;
}

export interface PaymentProvider {
  createIntent(
    key: string,
    params: { amount: number; currency: string; paymentMethod: string; metadata: OurMetadata },
    signal?: AbortSignal,
  ): Promise<ProviderAnswer<ProviderIntent>>;
  captureIntent(key: string, intentId: string, amountToCapture: number, signal?: AbortSignal): Promise<ProviderAnswer<ProviderIntent>>;
  cancelIntent(key: string, intentId: string, reason: string, signal?: AbortSignal): Promise<ProviderAnswer<ProviderIntent>>;
  createRefund(
    key: string,
    params: { intentId: string; amount: number; metadata: OurMetadata },
    signal?: AbortSignal,
  ): Promise<ProviderAnswer<ProviderRefund>>;
  getIntent(intentId: string, signal?: AbortSignal): Promise<ProviderAnswer<ProviderIntent>>;
  /** The order's intents, oldest first. */
  searchIntents(orderId: string, signal?: AbortSignal): Promise<ProviderAnswer<ProviderIntent[]>>;
  listRefunds(intentId: string, signal?: AbortSignal): Promise<ProviderAnswer<ProviderRefund[]>>;
}
