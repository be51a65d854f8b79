import type { ServiceApp } from '@emporium/service';
import { cancelPaymentIntent } from '../../domain/cancel-payment-intent.js';
import { capturePaymentIntent } from '../../domain/capture-payment-intent.js';
import { createPaymentIntent } from '../../domain/create-payment-intent.js';
import type { ProviderDeps } from '../../domain/deps.js';
import { getPaymentIntent, searchPaymentIntents } from '../../domain/read-payment-intents.js';
import { type EdgeDeps, runOperation } from './operation.js';
import {
  AuthHeaders,
  CancelBody,
  CaptureBody,
  CreatePaymentIntentBody,
  errors,
  IdempotencyHeaders,
  IdParams,
  PaymentIntentView,
  SearchQuery,
} from './schemas.js';
import { Type } from 'typebox';

const tags = ['payment intents'];

/** `/v1/payment_intents…` (API.md, "Payment intents"). */
export function paymentIntentRoutes(app: ServiceApp, deps: ProviderDeps, edge: EdgeDeps): void {
  app.post(
    '/payment_intents',
    {
      schema: {
        tags,
        summary: 'Create and confirm a manual-capture payment intent',
        description: 'Authorizes the amount on a test card: requires_capture, requires_action, or 402 card_declined.',
        headers: IdempotencyHeaders,
        body: CreatePaymentIntentBody,
        response: {
          200: PaymentIntentView,
          ...errors({
            400: 'payment_method_invalid, parameter_missing/unknown/invalid, idempotency_key_reused',
            401: 'api_key_invalid',
            402: 'card_declined (decline_code generic_decline or insufficient_funds)',
            409: 'idempotency_request_in_progress',
          }),
        },
      },
    },
    async (request, reply) =>
      runOperation(edge, request, reply, 'create', () => {
        const { amount, currency, payment_method, metadata } = request.body;
        return createPaymentIntent(deps, {
          amount,
          currency,
          paymentMethod: payment_method,
          metadata: metadata as Record<string, string> & { order_id: string },
        }).view();
      }),
  );

  app.get(
    '/payment_intents/search',
    {
      schema: {
        tags,
        summary: 'The payment intents of one order, oldest first',
        headers: AuthHeaders,
        querystring: SearchQuery,
        response: {
          200: Type.Object({ object: Type.Literal('search_result'), data: Type.Array(PaymentIntentView) }),
          ...errors({ 401: 'api_key_invalid' }),
        },
      },
    },
    async (request, reply) =>
      runOperation(edge, request, reply, 'search', () => ({
        object: 'search_result',
        data: searchPaymentIntents(deps, request.query.order_id).map((i) => i.view()),
      })),
  );

  app.get(
    '/payment_intents/:id',
    {
      schema: {
        tags,
        summary: 'Read a payment intent as it is now',
        headers: AuthHeaders,
        params: IdParams,
        response: { 200: PaymentIntentView, ...errors({ 401: 'api_key_invalid', 404: 'resource_missing' }) },
      },
    },
    async (request, reply) => runOperation(edge, request, reply, 'get', () => getPaymentIntent(deps, request.params.id).view()),
  );

  app.post(
    '/payment_intents/:id/capture',
    {
      schema: {
        tags,
        summary: 'Capture an authorized payment intent (all, or amount_to_capture ≤ amount_capturable)',
        headers: IdempotencyHeaders,
        params: IdParams,
        body: CaptureBody,
        response: {
          200: PaymentIntentView,
          ...errors({
            400: 'payment_intent_unexpected_state (not requires_capture), amount_too_large, idempotency_key_reused',
            401: 'api_key_invalid',
            404: 'resource_missing',
            409: 'idempotency_request_in_progress',
          }),
        },
      },
    },
    async (request, reply) =>
      runOperation(edge, request, reply, 'capture', () =>
        capturePaymentIntent(deps, request.params.id, request.body.amount_to_capture).view(),
      ),
  );

  app.post(
    '/payment_intents/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel a payment intent that is not succeeded (a held authorization is voided)',
        headers: IdempotencyHeaders,
        params: IdParams,
        body: CancelBody,
        response: {
          200: PaymentIntentView,
          ...errors({
            400: 'payment_intent_unexpected_state (succeeded or canceled), idempotency_key_reused',
            401: 'api_key_invalid',
            404: 'resource_missing',
            409: 'idempotency_request_in_progress',
          }),
        },
      },
    },
    async (request, reply) =>
      runOperation(edge, request, reply, 'cancel', () =>
        cancelPaymentIntent(deps, request.params.id, request.body.cancellation_reason ?? null).view(),
      ),
  );
}
