import { AppError } from '@emporium/errors';

/**
 * The error kinds of the provider's API (Stripe's `error.type`). A client branches on `type`
 * and `code`, never on the message.
 */
export type ProviderErrorType =
  | 'api_error'
  | 'authentication_error'
  | 'card_error'
  | 'idempotency_error'
  | 'invalid_request_error'
  | 'rate_limit_error';

/**
 * One refusal of the sandbox: an AppError (stable `code`, HTTP status) that also carries the
 * provider's error `type` and the extra fields of its body (`decline_code`, `param`,
 * `payment_intent`). The HTTP edge answers it in the provider's shape,
 * `{ error: { type, code, message, … } }` (API.md), not as problem+json: the sandbox plays a
 * third party whose wire format is not ours to choose.
 */
export class ProviderError extends AppError {
  constructor(
    readonly type: ProviderErrorType,
    code: string,
    message: string,
    status: number,
    readonly fields: Record<string, unknown> = {},
    /** Seconds to wait before retrying (a 429 answers it as Retry-After). */
    readonly retryAfter?: number,
  ) {
    super(code, message, status);
    this.name = 'ProviderError';
  }
}

export const resourceMissing = (what: string, id: string) =>
  new ProviderError('invalid_request_error', 'resource_missing', `No such ${what}: '${id}'`, 404, { param: 'id' });

export const unexpectedState = (action: string, intent: { status: string }, view: unknown) =>
  new ProviderError(
    'invalid_request_error',
    'payment_intent_unexpected_state',
    `You cannot ${action} this PaymentIntent because it has a status of ${intent.status}.`,
    400,
    { payment_intent: view },
  );

/** A declined confirmation (HTTP 402); the intent is back at requires_payment_method and is in the body. */
export const cardDeclined = (declineCode: 'generic_decline' | 'insufficient_funds', view: unknown) =>
  new ProviderError(
    'card_error',
    'card_declined',
    declineCode === 'insufficient_funds' ? 'Your card has insufficient funds.' : 'Your card was declined.',
    402,
    { decline_code: declineCode, payment_intent: view },
  );

/** The token is not a test card of the sandbox (never echoed: payment-method tokens stay out of messages). */
export const paymentMethodInvalid = () =>
  new ProviderError('invalid_request_error', 'payment_method_invalid', 'The payment method is not a test card this sandbox knows.', 400, {
    param: 'payment_method',
  });

export const amountTooLarge = (param: string, max: number) =>
  new ProviderError('invalid_request_error', 'amount_too_large', `The ${param} may be at most ${max}.`, 400, { param });

export const chargeAlreadyRefunded = () =>
  new ProviderError('invalid_request_error', 'charge_already_refunded', 'The payment has already been refunded in full.', 400);

export const authenticationRequired = () =>
  new ProviderError(
    'authentication_error',
    'api_key_invalid',
    'Invalid API key provided: send Authorization: Bearer <SANDBOX_SECRET_KEY>.',
    401,
  );

export const idempotencyKeyReused = () =>
  new ProviderError(
    'idempotency_error',
    'idempotency_key_reused',
    'Keys for idempotent requests can only be used with the same parameters they were first used with.',
    400,
  );

export const idempotencyRequestInProgress = () =>
  new ProviderError(
    'idempotency_error',
    'idempotency_request_in_progress',
    'A request with this idempotency key is still being processed; retry later.',
    409,
  );

export const idempotencyKeyInvalid = () =>
  new ProviderError('invalid_request_error', 'idempotency_key_invalid', 'An Idempotency-Key has 1 to 255 characters.', 400, {
    param: 'Idempotency-Key',
  });

/** An injected failure (or an unexpected one): says nothing about what happened inside. */
export const injectedFailure = (status: number, retryAfterSeconds = 1) =>
  status === 429
    ? new ProviderError('rate_limit_error', 'rate_limit', 'Too many requests hit the API too quickly.', 429, {}, retryAfterSeconds)
    : new ProviderError('api_error', 'api_error', 'An error occurred with our connection to the payment provider.', status);
