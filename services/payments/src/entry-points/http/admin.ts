import { authenticate, requireRole, type ServiceApp } from '@emporium/service';
import { requestAdminRefund } from '../../domain/admin-refund.js';
import type { PaymentsDeps } from '../../domain/deps.js';
import { idempotencyKeyRequired } from '../../domain/errors.js';
import { getPaymentOfOrder, listFindings, listLedger } from '../../domain/read-payments.js';
import {
  AdminRefundBody,
  FindingsQuery,
  FindingsPage,
  IdempotencyHeaders,
  LedgerPage,
  LedgerQuery,
  OrderParams,
  PaymentOfOrderView,
  problems,
  RefundView,
} from './schemas.js';
import { findingView, ledgerEntryView, paymentOfOrderView, refundView } from './views.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Payments, the ledger and refunds, for administrators. The hook lets only the role admin in
 * (nobody → 401, any other caller → 403, before the body is read: function-level access); what
 * an admin may then do — which refunds, up to which amount — is the policy's (policy.ts), checked
 * by the use cases with the verified principal.
 */
export function adminRoutes(app: ServiceApp, deps: PaymentsDeps): void {
  const admins = requireRole('admin');

  app.get(
    '/api/payments/orders/:orderId',
    {
      onRequest: admins,
      schema: {
        tags: ['admin'],
        summary: "An order's payment, every operation asked of the provider, its refunds and its ledger",
        params: OrderParams,
        response: { 200: PaymentOfOrderView, ...problems({ 401: 'unauthenticated', 403: 'forbidden', 404: 'payment_not_found' }) },
      },
    },
    async (request) => paymentOfOrderView(await getPaymentOfOrder(deps, await authenticate(request), request.params.orderId)),
  );

  app.get(
    '/api/payments/ledger',
    {
      onRequest: admins,
      schema: {
        tags: ['admin'],
        summary: 'Every money movement we know of (authorization, capture, void, refund), oldest first',
        querystring: LedgerQuery,
        response: { 200: LedgerPage, ...problems({ 400: 'validation_failed', 401: 'unauthenticated', 403: 'forbidden' }) },
      },
    },
    async (request) => {
      const { orderId, after, limit } = request.query;
      const entries = await listLedger(deps, await authenticate(request), {
        ...(orderId ? { orderId } : {}),
        ...(after !== undefined ? { afterId: after } : {}),
        limit,
      });
      return { data: entries.map(ledgerEntryView), next: entries.length === limit ? (entries.at(-1)?.id ?? null) : null };
    },
  );

  app.get(
    '/api/payments/reconciliation/findings',
    {
      onRequest: admins,
      schema: {
        tags: ['admin'],
        summary: 'What the reconciliation found different between our records and the provider’s, newest first',
        querystring: FindingsQuery,
        response: {
          200: FindingsPage,
          ...problems({ 400: 'validation_failed', 401: 'unauthenticated', 403: 'forbidden' }),
        },
      },
    },
    async (request) => {
      const { orderId, limit } = request.query;
      const findings = await listFindings(deps, await authenticate(request), { ...(orderId ? { orderId } : {}), limit });
      return { data: findings.map(findingView) };
    },
  );

  app.post(
    '/api/payments/orders/:orderId/refunds',
    {
      onRequest: admins,
      schema: {
        tags: ['admin'],
        summary: 'Refund part or all of a captured payment',
        description:
          'Needs an `Idempotency-Key` (one per refund): the same key with the same amount answers the same refund; with another amount → 422. ' +
          'An admin refunds at most the `refund_limit` of their access token, in its currency (403 `forbidden` above it, or without one; ' +
          'nothing is recorded). The refund keeps who asked (`requestedBy`). ' +
          'Answers 202 with the refund; it is made by the provider shortly after, with its own provider key, and announced as payments.refund.succeeded.v1.',
        headers: IdempotencyHeaders,
        params: OrderParams,
        body: AdminRefundBody,
        response: {
          202: RefundView,
          ...problems({
            400: 'validation_failed, idempotency_key_required',
            401: 'unauthenticated',
            403: 'forbidden (not an admin, or above the refund limit)',
            404: 'payment_not_found',
            409: 'payment_not_captured',
            422: 'refund_exceeds_capture, idempotency_key_reused',
          }),
        },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) throw idempotencyKeyRequired();
      const principal = await authenticate(request);
      const op = await requestAdminRefund(deps, principal, request.params.orderId, key, request.body.amount, request.body.reason);
      return reply.status(202).send(refundView(op));
    },
  );
}
