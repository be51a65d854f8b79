import { randomBytes } from 'node:crypto';
import { uniqueName } from '@emporium/testing';
import { type PaymentProviderHandle, startPaymentProvider } from '../src/index.js';

export type Sandbox = PaymentProviderHandle;

/** A Standard Webhooks secret for a test (whsec_ + base64 of 32 random bytes). */
export const aWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** Short webhook retries so that a test sees several attempts quickly. */
export const FAST_WEBHOOKS = { SANDBOX_WEBHOOK_RETRY_DELAYS_MS: '50,100,200', SANDBOX_WEBHOOK_TIMEOUT_MS: '1000' };

export const startSandbox = (env: Record<string, string> = {}) => startPaymentProvider(env);

export const anOrderId = () => uniqueName('order');

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** A caller of the sandbox's API over real HTTP, with the secret key unless told otherwise. */
export function clientOf(sandbox: Sandbox) {
  const request = async (
    method: string,
    path: string,
    body?: unknown,
    options: { key?: string; auth?: string | null; signal?: AbortSignal } = {},
  ): Promise<Answer> => {
    const headers: Record<string, string> = {};
    const auth = options.auth === undefined ? `Bearer ${sandbox.secretKey}` : options.auth;
    if (auth !== null) headers.authorization = auth;
    if (options.key) headers['idempotency-key'] = options.key;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${sandbox.url}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: text ? JSON.parse(text) : undefined };
  };
  return {
    request,
    createIntent: (input: Partial<IntentInput> = {}, options: { key?: string; auth?: string | null; signal?: AbortSignal } = {}) =>
      request('POST', '/v1/payment_intents', anIntent(input), options),
    capture: (id: string, body: object = {}, options: { key?: string } = {}) =>
      request('POST', `/v1/payment_intents/${id}/capture`, body, options),
    cancel: (id: string, body: object = {}, options: { key?: string } = {}) =>
      request('POST', `/v1/payment_intents/${id}/cancel`, body, options),
    get: (id: string) => request('GET', `/v1/payment_intents/${id}`),
    refund: (body: object, options: { key?: string } = {}) => request('POST', '/v1/refunds', body, options),
    completeAction: (id: string, body: object = {}) =>
      request('POST', `/v1/test/payment_intents/${id}/complete_action`, body, { auth: null }),
  };
}
export type Client = ReturnType<typeof clientOf>;

export interface IntentInput {
  amount: number;
  currency: string;
  payment_method: string;
  capture_method: 'manual';
  confirm: true;
  metadata: Record<string, string>;
}

/** The body the payments service sends (API.md), for a fresh order unless one is given. */
export function anIntent(input: Partial<IntentInput> = {}): IntentInput {
  return {
    amount: 2_500,
    currency: 'eur',
    payment_method: 'pm_card_visa',
    capture_method: 'manual',
    confirm: true,
    metadata: { order_id: anOrderId() },
    ...input,
  };
}

/** An authorized and captured intent of `amount`. */
export async function aCapturedIntent(client: Client, amount = 1_000): Promise<any> {
  const created = await client.createIntent({ amount });
  if (created.status !== 200) throw new Error(`create answered ${created.status}: ${created.text}`);
  const captured = await client.capture(created.json.id);
  if (captured.status !== 200) throw new Error(`capture answered ${captured.status}: ${captured.text}`);
  return captured.json;
}
