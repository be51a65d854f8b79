import type { FastifyRequest } from 'fastify';

/**
 * THE customer seam of the gateway — temporary, until the identity issue lands.
 *
 * Today a client names its customer with the `X-Customer-Id` header (a demo identity: anyone can
 * claim any id, which is why nothing but this seam reads it). The gateway turns it into the
 * internal `x-emporium-customer-id` header the services trust (platform/service access.ts).
 * The identity issue replaces this function with the subject of the verified session or token.
 */
export const CLIENT_CUSTOMER_HEADER = 'x-customer-id';
const CUSTOMER_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;

export function customerIdOf(request: FastifyRequest): string | undefined {
  const raw = request.headers[CLIENT_CUSTOMER_HEADER];
  return typeof raw === 'string' && CUSTOMER_ID.test(raw) ? raw : undefined;
}
