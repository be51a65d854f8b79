import { createHttpClient, type HttpClientLogger, type HttpClientMetrics, type HttpResponse, UpstreamError } from '@emporium/http-client';
import type { IntentStatus, OurMetadata, PaymentProvider, ProviderAnswer, ProviderIntent, ProviderRefund } from '../domain/provider.js';

export interface ProviderClientOptions {
  baseUrl: string;
  secretKey: string;
  timeoutMs: number;
  metrics?: HttpClientMetrics;
  logger?: HttpClientLogger;
}

const INTENT_STATUSES: ReadonlySet<string> = new Set([
  'requires_payment_method',
  'requires_action',
  'requires_capture',
  'succeeded',
  'canceled',
]);

interface ProviderErrorBody {
  error?: { type?: string; code?: string; decline_code?: string; message?: string; payment_intent?: unknown };
}

function asIntent(value: unknown): ProviderIntent | undefined {
  const v = value as Partial<ProviderIntent> | null;
  if (!v || typeof v !== 'object' || typeof v.id !== 'string' || typeof v.status !== 'string' || !INTENT_STATUSES.has(v.status))
    return undefined;
  if (typeof v.amount !== 'number' || typeof v.currency !== 'string') return undefined;
  return {
    id: v.id,
    status: v.status as IntentStatus,
    amount: v.amount,
    currency: v.currency,
    amount_capturable: typeof v.amount_capturable === 'number' ? v.amount_capturable : 0,
    amount_received: typeof v.amount_received === 'number' ? v.amount_received : 0,
    metadata: v.metadata && typeof v.metadata === 'object' ? (v.metadata as Record<string, string>) : {},
    last_payment_error: v.last_payment_error ?? null,
  };
}

function asRefund(value: unknown): ProviderRefund | undefined {
  const v = value as Partial<ProviderRefund> | null;
  if (!v || typeof v !== 'object' || typeof v.id !== 'string' || typeof v.amount !== 'number' || typeof v.payment_intent !== 'string') {
    return undefined;
  }
  return {
    id: v.id,
    amount: v.amount,
    currency: typeof v.currency === 'string' ? v.currency : '',
    payment_intent: v.payment_intent,
    status: typeof v.status === 'string' ? v.status : 'succeeded',
    metadata: v.metadata && typeof v.metadata === 'object' ? (v.metadata as Record<string, string>) : {},
  };
}

function asList<T>(value: unknown, item: (v: unknown) => T | undefined): T[] | undefined {
  const data = (value as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return undefined;
  const items = data.map(item);
  return items.every((i) => i !== undefined) ? (items as T[]) : undefined;
}

function parse(res: HttpResponse): unknown {
  try {
    return res.json();
  } catch {
    return undefined;
  }
}

function retryAfterMs(res: HttpResponse): number | undefined {
  const raw = res.headers.get('retry-after');
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1_000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * Classifies an answer by what it says about the money. A 2xx whose body is not the expected
 * object counts as unknown: we cannot tell what happened, so we ask again rather than guess.
 */
function classify<T>(res: HttpResponse, read: (body: unknown) => T | undefined): ProviderAnswer<T> {
  const body = parse(res);
  if (res.status >= 200 && res.status < 300) {
    const value = read(body);
    return value === undefined ? { kind: 'unknown', reason: `unreadable ${res.status} answer` } : { kind: 'ok', value };
  }
  const error = (body as ProviderErrorBody | undefined)?.error ?? {};
  const code = error.code ?? error.type ?? `http_${res.status}`;
  if (res.status === 402) {
    const intent =
      asIntent(error.payment_intent) ??
      (typeof error.payment_intent === 'string' ? undefined : asIntent((error as { intent?: unknown }).intent));
    return { kind: 'declined', code, declineCode: error.decline_code, message: error.message ?? 'The card was declined', intent };
  }
  if (res.status === 429) return { kind: 'retry_later', reason: 'throttled (429)', retryAfterMs: retryAfterMs(res) };
  if (res.status === 409 && code === 'idempotency_request_in_progress') {
    return { kind: 'retry_later', reason: 'the first request with this key is still running', retryAfterMs: undefined };
  }
  // Our credentials were refused: nothing was done, and nothing will be until the configuration is fixed.
  if (res.status === 401 || res.status === 403)
    return { kind: 'retry_later', reason: `refused our credentials (${res.status})`, retryAfterMs: undefined };
  if (res.status >= 500) return { kind: 'unknown', reason: `answered ${res.status}` };
  return { kind: 'rejected', status: res.status, code, message: error.message ?? `answered ${res.status}` };
}

/** The provider over HTTP: a timeout per call, a circuit breaker, and the Idempotency-Key on every POST. */
export function createProviderClient(options: ProviderClientOptions): PaymentProvider {
  const http = createHttpClient({
    name: 'payment-provider',
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs,
    // One attempt per call: an unanswered call is retried by the worker, later, with the same key.
    retry: { maxAttempts: 1 },
    breaker: { consecutiveFailures: 5, halfOpenAfterMs: 5_000 },
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const auth = { authorization: `Bearer ${options.secretKey}` };

  async function call<T>(
    request: { method: 'GET' | 'POST'; path: string; key?: string; json?: unknown; signal: AbortSignal | undefined },
    read: (body: unknown) => T | undefined,
  ): Promise<ProviderAnswer<T>> {
    try {
      const res = await http.request({
        method: request.method,
        path: request.path,
        headers: request.key ? { ...auth, 'idempotency-key': request.key } : auth,
        ...(request.json !== undefined ? { json: request.json } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
      return classify(res, read);
    } catch (error) {
      if (error instanceof UpstreamError) return { kind: 'unknown', reason: error.code };
      if (request.signal?.aborted) return { kind: 'unknown', reason: 'the call was abandoned (lease ending)' };
      return { kind: 'unknown', reason: (error as Error).message ?? 'the call failed' };
    }
  }

  const metadataOf = (m: OurMetadata) => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const id = encodeURIComponent;

  return {
    createIntent: (key, p, signal) =>
      call(
        {
          method: 'POST',
          path: '/v1/payment_intents',
          key,
          signal,
          json: {
            amount: p.amount,
            currency: p.currency,
            payment_method: p.paymentMethod,
            capture_method: 'manual',
            confirm: true,
            metadata: metadataOf(p.metadata),
          },
        },
        asIntent,
      ),
    captureIntent: (key, intentId, amountToCapture, signal) =>
      call(
        { method: 'POST', path: `/v1/payment_intents/${id(intentId)}/capture`, key, signal, json: { amount_to_capture: amountToCapture } },
        asIntent,
      ),
    cancelIntent: (key, intentId, reason, signal) =>
      call(
        { method: 'POST', path: `/v1/payment_intents/${id(intentId)}/cancel`, key, signal, json: { cancellation_reason: reason } },
        asIntent,
      ),
    createRefund: (key, p, signal) =>
      call(
        {
          method: 'POST',
          path: '/v1/refunds',
          key,
          signal,
          json: { payment_intent: p.intentId, amount: p.amount, metadata: metadataOf(p.metadata) },
        },
        asRefund,
      ),
    getIntent: (intentId, signal) => call({ method: 'GET', path: `/v1/payment_intents/${id(intentId)}`, signal }, asIntent),
    searchIntents: (orderId, signal) =>
      call({ method: 'GET', path: `/v1/payment_intents/search?order_id=${id(orderId)}`, signal }, (b) => asList(b, asIntent)),
    listRefunds: (intentId, signal) =>
      call({ method: 'GET', path: `/v1/refunds?payment_intent=${id(intentId)}`, signal }, (b) => asList(b, asRefund)),
  };
}
