import { AppError } from '@emporium/errors';
import type { FastifyRequest } from 'fastify';

/**
 * THE authorization seam of the catalog — temporary, internal only.
 *
 * Until the identity issue lands, the caller's role is read from the `x-emporium-role` header.
 * That header is trusted only because nothing outside can set it: the gateway strips every
 * inbound `x-emporium-*` header, so the admin routes are unreachable from outside for now.
 * The identity issue replaces `principalOf` with JWT verification (issuer, audience, expiry,
 * pinned algorithm, key by kid) and the role claim; the routes keep calling requireRole.
 */
export const ROLE_HEADER = 'x-emporium-role';

export const ROLES = ['customer', 'support', 'merchandiser', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who may change the catalog. */
export const CATALOG_WRITERS: readonly Role[] = ['merchandiser', 'admin'];

export interface Principal {
  role: Role;
}

/** The caller, or undefined when it says nothing (or something that is not a role). */
export function principalOf(request: FastifyRequest): Principal | undefined {
  const raw = request.headers[ROLE_HEADER];
  const role = typeof raw === 'string' ? raw.trim().toLowerCase() : undefined;
  return role && (ROLES as readonly string[]).includes(role) ? { role: role as Role } : undefined;
}

/**
 * A route hook letting through only callers with one of `roles`; anyone else → 403 problem
 * `forbidden`. Registered as `onRequest`, so a refused caller's body is never parsed or
 * validated (no validation details leak to someone who may not call the route at all).
 */
export function requireRole(...roles: Role[]) {
  return async function requireRoleHook(request: FastifyRequest): Promise<void> {
    const principal = principalOf(request);
    if (!principal || !roles.includes(principal.role)) {
      throw new AppError('forbidden', `This action needs the role ${roles.join(' or ')}`, 403);
    }
  };
}
