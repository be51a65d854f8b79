import type { ServiceApp } from '@emporium/service';
import { Type } from 'typebox';
import { createRefund, listRefunds } from '../../domain/create-refund.js';
import type { ProviderDeps } from '../../domain/deps.js';
import { type EdgeDeps, runOperation } from './operation.js';
import { AuthHeaders, CreateRefundBody, errors, IdempotencyHeaders, RefundsQuery, RefundView } from './schemas.js';

const tags = ['refunds'];

/** `/v1/refunds` (API.md). */
export function refundRoutes(app: ServiceApp, deps: ProviderDeps, edge: EdgeDeps): void {
  app.post(
    '/refunds',
    {
      schema: {
        tags,
        summary: 'Refund part or all of a captured payment intent',
        headers: IdempotencyHeaders,
        body: CreateRefundBody,
        response: {
          200: RefundView,
          ...errors({
            400: 'amount_too_large (more than captured minus refunded), charge_already_refunded, payment_intent_unexpected_state (not captured), idempotency_key_reused',
            401: 'api_key_invalid',
            404: 'resource_missing',
            409: 'idempotency_request_in_progress',
          }),
        },
      },
    },
    async (request, reply) =>
      runOperation(edge, request, reply, 'refund', () =>
        createRefund(deps, {
          paymentIntentId: request.body.payment_intent,
          ...(request.body.amount !== undefined ? { amount: request.body.amount } : {}),
          ...(request.body.metadata ? { metadata: request.body.metadata } : {}),
        }),
      ),
  );

  app.get(
    '/refunds',
    {
      schema: {
        tags,
        summary: 'Refunds, oldest first; those of one payment intent with ?payment_intent=',
        headers: AuthHeaders,
        querystring: RefundsQuery,
        response: {
          200: Type.Object({ object: Type.Literal('list'), data: Type.Array(RefundView) }),
          ...errors({ 401: 'api_key_invalid' }),
        },
      },
    },
    async (request, reply) =>
      runOperation(edge, request, reply, 'search', () => ({ object: 'list', data: listRefunds(deps, request.query.payment_intent) })),
  );
}
