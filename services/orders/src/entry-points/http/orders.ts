import { authorize, forbidden } from '@emporium/auth';
import { isAppError } from '@emporium/errors';
import { authenticate, type ServiceApp } from '@emporium/service';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { cancelOrder } from '../../domain/cancel-order.js';
import type { OrdersDeps } from '../../domain/deps.js';
import { invalidEmail } from '../../domain/errors.js';
import { parseIdempotencyKey, requestFingerprint } from '../../domain/idempotency.js';
import { orderUrl, placeOrder } from '../../domain/place-order.js';
import { getOrder, listOrders } from '../../domain/read-orders.js';
import { type OrdersAbility, ordersPolicy } from '../../policy.js';
import { Accepted, CheckoutBody, CheckoutHeaders, ListQuery, OrderPage, OrderParams, OrderView, problems } from './schemas.js';
import { orderSummary, orderView } from './views.js';

const ACCESS =
  'Needs a bearer access token for the audience `orders`; this service verifies it itself and decides with its policy (src/policy.ts). ';

const JSON_UTF8 = 'application/json; charset=utf-8';

/** The e-mail goes out in orders.order.* messages: it must pass their schema too, not only the route's. */
const emailFitsMessages = Compile(Type.String({ format: 'email' }));

/** An order's ETag: its version, which moves with every change of status, step or timeline. */
const etagOf = (version: number) => `"${version}"`;

/** The versions an If-None-Match names (strong or weak ETags of ours; anything else matches nothing). */
function versionsIn(header: string | undefined): Set<number> {
  const versions = new Set<number>();
  for (const tag of (header ?? '').split(',')) {
    const m = /^\s*(?:W\/)?"(\d{1,15})"\s*$/.exec(tag);
    if (m) versions.add(Number(m[1]));
  }
  return versions;
}

/** `Prefer: wait=N` (RFC 7240 §4.3) in ms; 0 when absent or unreadable. */
function preferredWaitMs(header: string | string[] | undefined): number {
  const m = /(?:^|[,;]\s*)wait\s*=\s*"?(\d{1,6})"?/i.exec([header ?? ''].flat().join(','));
  return m ? Number(m[1]) * 1_000 : 0;
}

/** What the verified caller may do under the orders policy: no token or a bad one → 401, a suspended caller → 403. */
const abilityOf = async (request: FastifyRequest): Promise<OrdersAbility> => ordersPolicy(await authenticate(request));

/** Every route needs a verified caller; checked before the body is read. */
const signedIn = async (request: FastifyRequest) => {
  await authenticate(request);
};

/** The customer placing an order (the policy's `place`: 403 for anyone else), with the region their token names. */
async function placingCustomer(request: FastifyRequest): Promise<{ customerId: string; region: string | null }> {
  const principal = await authenticate(request);
  authorize(ordersPolicy(principal), 'place', 'Order');
  // The policy grants `place` only to a customer, who always has an id; checked again rather than asserted.
  if (!principal.customerId) throw forbidden('This action is for customers');
  return { customerId: principal.customerId, region: principal.region ?? null };
}

const sendAccepted = (reply: FastifyReply, response: { status: number; headers: Record<string, string>; body: string }) =>
  reply.status(response.status).headers(response.headers).type(JSON_UTF8).send(response.body);

/** Checkout, the customer's orders, and cancellation. Thin: each route calls one use case. */
export function orderRoutes(app: ServiceApp, deps: OrdersDeps): void {
  app.post(
    '/api/orders',
    {
      onRequest: async (request) => {
        await placingCustomer(request);
      },
      // Before the body is validated: a request without a key is refused for that first.
      preValidation: async (request) => {
        parseIdempotencyKey(request.headers['idempotency-key']);
      },
      schema: {
        tags: ['orders'],
        summary: 'Place an order (checkout)',
        description:
          ACCESS +
          'Customers only. Prices come from the catalog. Answers 202 at once with the order id; follow `statusUrl` (status and timeline) while stock is ' +
          'reserved, the payment authorized, then charged and the stock committed. Requires an `Idempotency-Key` ' +
          '(draft-ietf-httpapi-idempotency-key-header): the same key and body answer the stored 202 again byte for byte (header ' +
          '`Idempotent-Replayed: true`); another body → 422; while the first request runs → 409. Keys are per customer and kept at ' +
          'least 72 hours. A request that created no order (e.g. 503 while the catalog is away, 422 unknown_sku) stores nothing: ' +
          'retrying it with the same key runs it again.',
        headers: CheckoutHeaders,
        body: CheckoutBody,
        response: {
          202: { ...Accepted, description: 'Accepted: the checkout runs; Location names the order' },
          ...problems({
            400: 'idempotency_key_missing, idempotency_key_invalid, validation_failed (e.g. an unknown property such as status or total)',
            401: 'unauthenticated, invalid_token',
            403: 'forbidden (not a customer, or suspended)',
            409: 'idempotency_request_in_progress',
            413: 'body_too_large',
            422: 'idempotency_key_reused, unknown_sku, sku_not_purchasable, mixed_currencies, duplicate_sku',
            503: 'upstream_unavailable (the catalog); nothing was stored, retry with the same key',
            504: 'upstream_timeout (the catalog); nothing was stored, retry with the same key',
          }),
        },
      },
    },
    async (request, reply) => {
      const { customerId, region } = await placingCustomer(request);
      const idempotencyKey = parseIdempotencyKey(request.headers['idempotency-key']);
      const body = request.body;
      if (!emailFitsMessages.Check(body.email)) throw invalidEmail();
      const answer = await placeOrder(deps, {
        customerId,
        region,
        idempotencyKey,
        fingerprint: requestFingerprint('POST', '/api/orders', body),
        checkout: {
          lines: body.lines,
          email: body.email,
          shippingAddress: body.shippingAddress,
          paymentMethod: body.paymentMethod,
        },
        requestId: request.id,
      }).catch((error: unknown) => {
        // The first request with this key is still running: say when to try again.
        if (isAppError(error) && error.code === 'idempotency_request_in_progress') reply.header('retry-after', '1');
        throw error;
      });
      if (answer.replayed) reply.header('idempotent-replayed', 'true');
      return sendAccepted(reply, answer.response);
    },
  );

  app.get(
    '/api/orders',
    {
      onRequest: signedIn,
      schema: {
        tags: ['orders'],
        summary: 'The orders the caller may read, newest first',
        description:
          `${ACCESS}A customer sees their own orders, support the orders of their region, an admin every order; ` +
          'anyone else an empty list. One page at a time: follow `nextCursor` until it is null.',
        querystring: ListQuery,
        response: {
          200: OrderPage,
          ...problems({
            400: 'validation_failed (limit outside 1..100), invalid_cursor',
            401: 'unauthenticated, invalid_token',
            403: 'forbidden (suspended)',
          }),
        },
      },
    },
    async (request) => {
      const page = await listOrders(deps, await abilityOf(request), request.query);
      return { items: page.items.map(orderSummary), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/orders/:id',
    {
      onRequest: signedIn,
      schema: {
        tags: ['orders'],
        summary: 'One order: its status, lines, total and timeline',
        description:
          `${ACCESS}A customer reads their own orders, support the orders of their region, an admin any order; any other order is ` +
          'not found, exactly like an id that does not exist. ' +
          'The timeline lists each step of the checkout, when it happened and, for a failure, why. ' +
          "The `ETag` names the order's version. To follow an order without polling, send it back in `If-None-Match` with `Prefer: wait=<seconds>` " +
          '(RFC 7240): the answer comes as soon as the order changes (200), or 304 when the wait ends first (at most ORDERS_STATUS_MAX_WAIT_MS, ' +
          '2 s by default); then ask again. Without `Prefer: wait`, a matching `If-None-Match` answers 304 at once.',
        params: OrderParams,
        response: {
          200: OrderView,
          304: Type.Null({ description: 'Not modified: the order is still at the version named in If-None-Match' }),
          ...problems({
            400: 'validation_failed (not a UUID)',
            401: 'unauthenticated, invalid_token',
            403: 'forbidden (suspended)',
            404: 'order_not_found',
          }),
        },
      },
    },
    async (request, reply) => {
      const unlessVersion = versionsIn(request.headers['if-none-match']);
      const waitMs = preferredWaitMs(request.headers.prefer);
      const found = await getOrder(deps, await abilityOf(request), request.params.id, { unlessVersion, waitMs });
      if ('unchanged' in found) return reply.status(304).header('etag', etagOf(found.unchanged)).send(null);
      reply.header('etag', etagOf(found.order.version));
      return orderView(found.order, found.timeline);
    },
  );

  app.post(
    '/api/orders/:id/cancel',
    {
      onRequest: signedIn,
      schema: {
        tags: ['orders'],
        summary: 'Cancel an order',
        description:
          ACCESS +
          'Only the customer who placed the order cancels it; staff who may read it get 403, anyone else 404. ' +
          'Before payment is taken: the payment hold is voided and the stock released, and the order is cancelled. While the payment is being ' +
          'taken: the cancellation waits for its outcome. After: the payment is refunded in full (status cancelling, then cancelled with ' +
          'refunded true). Asking again answers the same and never refunds twice.',
        params: OrderParams,
        response: {
          202: { ...Accepted, description: 'The cancellation is done or under way; follow statusUrl' },
          ...problems({
            401: 'unauthenticated, invalid_token',
            403: 'forbidden (may read the order but not cancel it, or suspended)',
            404: 'order_not_found',
            409: 'order_needs_attention',
          }),
        },
      },
    },
    async (request, reply) => {
      const order = await cancelOrder(deps, await abilityOf(request), request.params.id);
      return reply
        .status(202)
        .header('location', orderUrl(order.id))
        .send({ orderId: order.id, status: order.status, statusUrl: orderUrl(order.id) });
    },
  );
}
