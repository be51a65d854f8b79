import { inTransaction } from '@emporium/db';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  type KeyState,
  releaseIdempotencyKey,
  type StoredResponse,
} from '../data-access/idempotency-repository.js';
import type { OrdersDeps } from './deps.js';
import { duplicateSku, idempotencyKeyReused, idempotencyRequestInProgress } from './errors.js';
import { Order } from './order.js';
import type { ShippingAddress } from './order-data.js';
import { priceLines } from './pricing.js';
import { saveOrderChanges } from './save-order.js';

export interface Checkout {
  lines: { sku: string; quantity: number }[];
  email: string;
  shippingAddress: ShippingAddress;
  paymentMethod: string;
}

export interface PlaceOrderRequest {
  customerId: string;
  /** The customer's region (their token's `region` claim), kept on the order for support's access. */
  region: string | null;
  idempotencyKey: string;
  /** requestFingerprint(method, path, body) */
  fingerprint: string;
  checkout: Checkout;
  requestId?: string;
}

/** The answer to send: the one just made, or the one stored under the key (a replay). */
export interface PlaceOrderAnswer {
  response: StoredResponse;
  replayed: boolean;
}

export const orderUrl = (id: string) => `/api/orders/${id}`;

/**
 * Checkout: takes the Idempotency-Key, prices the lines at the catalog, and commits in one
 * transaction the order, its first saga command (the reservation, in the outbox) and the answer
 * under the key. The answer is serialized once, here, and stored as text, so a replay is byte
 * for byte the same.
 */
export async function placeOrder(deps: OrdersDeps, request: PlaceOrderRequest): Promise<PlaceOrderAnswer> {
  const { checkout, customerId, idempotencyKey: key } = request;
  const seen = new Set<string>();
  for (const line of checkout.lines) {
    if (seen.has(line.sku)) throw duplicateSku(line.sku);
    seen.add(line.sku);
  }

  const token = deps.newId();
  const state = await claim(deps, request, token);
  if (state.state === 'other_request') throw idempotencyKeyReused();
  if (state.state === 'in_flight' || state.state === 'gone') throw idempotencyRequestInProgress();
  if (state.state === 'completed') {
    deps.metrics.idempotentReplay();
    return { response: state.response, replayed: true };
  }

  try {
    // Outside any transaction: a remote call never holds a database connection or lock.
    const priced = priceLines(
      checkout.lines,
      await deps.catalog.lookUp(
        checkout.lines.map((l) => l.sku),
        request.requestId,
      ),
    );
    const orderId = deps.newId();
    const response = await inTransaction(deps.db, async (trx) => {
      const order = Order.place(
        {
          id: orderId,
          customerId,
          region: request.region,
          email: checkout.email,
          shippingAddress: checkout.shippingAddress,
          lines: priced.lines,
          total: priced.total,
          paymentMethod: checkout.paymentMethod,
        },
        deps.policy,
        deps.now(),
      );
      const accepted: StoredResponse = {
        status: 202,
        headers: { location: orderUrl(orderId) },
        body: JSON.stringify({ orderId, status: order.data.status, statusUrl: orderUrl(orderId) }),
      };
      await saveOrderChanges(trx, deps, order, { isNew: true });
      // The key's answer commits with the order: no order without its key, no key without its order.
      if (!(await completeIdempotencyKey(trx, { customerId, key, token, orderId, response: accepted })))
        throw idempotencyRequestInProgress();
      return accepted;
    });
    deps.metrics.orderCreated();
    return { response, replayed: false };
  } catch (error) {
    // Nothing was created: free the key so that a retry (e.g. once the catalog is back) runs afresh.
    await releaseIdempotencyKey(deps.db, { customerId, key, token }).catch((e) =>
      deps.logger.warn({ err: e }, 'could not release an idempotency key; it frees itself when its lease ends'),
    );
    throw error;
  }
}

async function claim(deps: OrdersDeps, request: PlaceOrderRequest, token: string): Promise<KeyState> {
  const now = deps.now();
  const attempt = () =>
    claimIdempotencyKey(deps.db, {
      customerId: request.customerId,
      key: request.idempotencyKey,
      fingerprint: request.fingerprint,
      token,
      now,
      expiresAt: new Date(now.getTime() + deps.idempotency.retentionMs),
      takeOverBefore: new Date(now.getTime() - deps.idempotency.leaseMs),
    });
  const first = await attempt();
  // The holder failed and let go between our insert and our read: the key is free again.
  return first.state === 'gone' ? attempt() : first;
}
