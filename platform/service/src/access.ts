import { AppError } from '@emporium/errors';
import type { FastifyRequest } from 'fastify';

/**
 * THE authorization seam of every service — temporary, internal only.
 *
 * Until the identity issue lands, the caller is read from two internal headers:
 * `x-emporium-role` and `x-emporium-customer-id`. They are trusted only because nothing outside
 * can set them: the gateway strips every inbound `x-emporium-*` header and sets the customer id
 * itself (from its own customer seam). The identity issue replaces `principalOf` with JWT
 * verification (issuer, audience, expiry, pinned algorithm, key by kid) in each service; routes
 * keep calling requireRole / requireCustomer.
 */
export const ROLE_HEADER = 'x-emporium-role';
export const CUSTOMER_HEADER = 'x-emporium-customer-id';

export const ROLES = ['customer', 'support', 'merchandiser', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  role: Role;
  /** Set for a customer (and only then). */
  customerId?: string;
}

const CUSTOMER_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;

/** The caller, or undefined when it says nothing valid. A customer id alone means role customer. */
export function principalOf(request: FastifyRequest): Principal | undefined {
  const rawRole = request.headers[ROLE_HEADER];
  const rawCustomer = request.headers[CUSTOMER_HEADER];
  const customerId = typeof rawCustomer === 'string' && CUSTOMER_ID.test(rawCustomer) ? rawCustomer : undefined;
  const role = typeof rawRole === 'string' ? rawRole.trim().toLowerCase() : customerId ? 'customer' : undefined;
  if (!role || !(ROLES as readonly string[]).includes(role)) return undefined;
  if (role === 'customer') return customerId ? { role, customerId } : undefined;
  return { role: role as Role };
}

/**
 * A route hook letting through only callers with one of `roles`: none → 401 `unauthenticated`,
 * another role → 403 `forbidden`. Use as `onRequest`, so a refused caller's body is never parsed.
 */
export function requireRole(...roles: Role[]) {
  return async function requireRoleHook(request: FastifyRequest): Promise<void> {
    const principal = principalOf(request);
    if (!principal) throw new AppError('unauthenticated', 'This action needs a signed-in caller', 401);
    if (!roles.includes(principal.role)) throw new AppError('forbidden', `This action needs the role ${roles.join(' or ')}`, 403);
  };
}

/** The customer id of a customer caller; 401 `unauthenticated` otherwise. */
export function requireCustomer(request: FastifyRequest): string {
  const principal = principalOf(request);
  if (principal?.role !== 'customer' || !principal.customerId)
    throw new AppError('unauthenticated', 'This action needs a signed-in customer', 401);
  return principal.customerId;
}
