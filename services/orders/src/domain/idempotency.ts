import { createHash } from 'node:crypto';
import { idempotencyKeyInvalid, idempotencyKeyMissing } from './errors.js';

/**
 * The Idempotency-Key rules (draft-ietf-httpapi-idempotency-key-header):
 * - the key is required on POST /api/orders (missing → 400 idempotency_key_missing);
 * - keys are scoped to the customer: two customers may use the same key;
 * - the request's fingerprint is a hash of method, path and canonical body: the same key with
 *   another body → 422 idempotency_key_reused;
 * - while the first request runs → 409 idempotency_request_in_progress (Retry-After: 1);
 * - once it created the order, the same key and body → the stored answer, byte for byte;
 * - a request that created nothing (catalog down, unknown SKU…) stores nothing: a retry with the
 *   same key runs afresh (a failed request must not poison its key);
 * - keys are kept ORDERS_IDEMPOTENCY_RETENTION_HOURS (≥ 72 h), then forgotten: the key may then be
 *   used again and creates a new order.
 */

const KEY = /^[\x21-\x7e]{1,255}$/;

/** The key from the header: a Structured Field string (`"…"`, as the draft writes it) or the bare token most clients send. */
export function parseIdempotencyKey(header: string | string[] | undefined): string {
  if (header === undefined || (typeof header === 'string' && header.trim() === '')) throw idempotencyKeyMissing();
  if (Array.isArray(header)) throw idempotencyKeyInvalid();
  const raw = header.trim();
  const key = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  if (!KEY.test(key)) throw idempotencyKeyInvalid();
  return key;
}

/** JSON with object keys sorted at every level: equal bodies give equal text, whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 of method, path and canonical body (the body holds a payment token: only its hash is kept). */
export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method.toUpperCase()} ${path}\n${canonicalJson(body)}`)
    .digest('hex');
}
