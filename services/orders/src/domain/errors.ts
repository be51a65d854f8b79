import { AppError, badRequest, conflict, notFound, unprocessable } from '@emporium/errors';
import type { OrderStatus } from './status.js';

/** Every refusal of the orders service, each with its stable code (STYLE.md §8). Tests assert the code. */

/** Another customer's order is answered exactly like a missing one (BOLA: never 403). */
export const orderNotFound = (id: string) => notFound('order_not_found', `No order ${id} was found`);

// ---- Idempotency-Key (draft-ietf-httpapi-idempotency-key-header)

export const idempotencyKeyMissing = () =>
  badRequest('idempotency_key_missing', 'Send an Idempotency-Key header (a unique value per order attempt, e.g. a UUID)');

export const idempotencyKeyInvalid = () =>
  badRequest('idempotency_key_invalid', 'The Idempotency-Key must be 1 to 255 printable ASCII characters');

export const idempotencyKeyReused = () =>
  unprocessable('idempotency_key_reused', 'This Idempotency-Key was already used with a different request body');

export const idempotencyRequestInProgress = () =>
  conflict('idempotency_request_in_progress', 'A request with this Idempotency-Key is still being processed; retry shortly');

// ---- checkout

export const duplicateSku = (sku: string) =>
  unprocessable('duplicate_sku', `The SKU ${sku} is on more than one line; give it once with its quantity`, { sku });

export const unknownSku = (skus: string[]) => unprocessable('unknown_sku', `The catalog has no SKU ${skus.join(', ')}`, { skus });

export const skuNotPurchasable = (skus: string[]) =>
  unprocessable('sku_not_purchasable', `The SKU ${skus.join(', ')} cannot be ordered now`, { skus });

export const mixedCurrencies = (currencies: string[]) =>
  unprocessable('mixed_currencies', `The lines are priced in different currencies (${currencies.join(', ')}); order them separately`, {
    currencies,
  });

export const totalTooLarge = () => unprocessable('total_too_large', 'The order total is larger than this shop accepts');

export const invalidEmail = () =>
  badRequest('validation_failed', 'The body is not valid: email is not a valid e-mail address', {
    'body/email': 'must be an e-mail address',
  });

export const invalidCursor = () => badRequest('invalid_cursor', 'The cursor is not one this service issued; start again without it');

// ---- cancellation

export const orderNeedsAttention = (id: string) =>
  conflict('order_needs_attention', `Order ${id} is being looked at by our staff and cannot be cancelled online`);

/** A status change off the state machine's edges: a bug, never a client's fault (500, not exposed). */
export class IllegalTransition extends AppError {
  constructor(from: OrderStatus, to: OrderStatus) {
    super('illegal_transition', `An order cannot go from ${from} to ${to}`, 500);
  }
}
