import {
  AuthError,
  bearerTokenOf,
  forbidden,
  type Principal,
  type Role,
  requireScope,
  type TokenVerifier,
  unauthenticated,
} from '@emporium/auth';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * THE authentication seam of every service: the caller is whoever the access token in
 * `Authorization: Bearer` says, after this service verified it itself (issuer, audience = this
 * service, expiry with a small leeway, algorithm allow-list, `typ: at+jwt`, key by kid from the
 * issuer's JWKS — platform/auth). Nothing a gateway or client adds as a header is trusted.
 * What a principal may do is each service's policy (its `policy.ts`, CASL, default deny).
 */

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by createServiceApp when the service checks access tokens (authConfig). */
    tokenVerifier: TokenVerifier | undefined;
  }
  interface FastifyRequest {
    /** The verified caller, memoized per request (undefined: no credentials sent). */
    principalOnce: Promise<Principal | undefined> | undefined;
  }
}

/** Decorates an app with its verifier (or none, for the sandboxes). */
export function installAuth(app: FastifyInstance, verifier: TokenVerifier | undefined): void {
  app.decorate('tokenVerifier', verifier);
  app.decorateRequest('principalOnce', undefined);
}

/**
 * The verified caller, or undefined when the request carries no Authorization header at all.
 * A header that is there but wrong (another scheme, a bad or expired token) → 401.
 */
export function principalOf(request: FastifyRequest): Promise<Principal | undefined> {
  request.principalOnce ??= (async () => {
    const header = request.headers.authorization;
    if (header === undefined) return undefined;
    const verifier = request.server.tokenVerifier;
    if (!verifier) throw new Error('This service checks no access tokens (authConfig is not in its config)');
    try {
      return await verifier.verify(bearerTokenOf(header));
    } catch (error) {
      if (error instanceof AuthError && error.reason) request.log.info({ reason: error.reason }, 'access token refused');
      throw error;
    }
  })();
  return request.principalOnce;
}

/** The verified caller; none → 401 `unauthenticated` (with WWW-Authenticate). A suspended one → 403. */
export async function authenticate(request: FastifyRequest): Promise<Principal> {
  const principal = await principalOf(request);
  if (!principal) throw unauthenticated();
  if (principal.suspended) throw forbidden('The account is suspended');
  return principal;
}

/**
 * A route hook letting through only users holding one of `roles`: no token → 401, a valid token
 * without the role (or a service token, or a suspended user) → 403 `forbidden`. Use as
 * `onRequest`, so a refused caller's body is never parsed. Finer rules (whose order, which
 * region, how much) are the service's policy.
 */
export function requireRole(...roles: Role[]) {
  return async function requireRoleHook(request: FastifyRequest): Promise<void> {
    const principal = await authenticate(request);
    if (principal.kind !== 'user' || !principal.roles.some((role) => roles.includes(role)))
      throw forbidden(`This action needs the role ${roles.join(' or ')}`);
  };
}

/** The customer id of a customer caller: no token → 401; a valid caller who is not a customer → 403. */
export async function requireCustomer(request: FastifyRequest): Promise<string> {
  const principal = await authenticate(request);
  if (!principal.customerId) throw forbidden('This action is for customers');
  return principal.customerId;
}

/**
 * A route hook for service-to-service calls: a client-credentials token (sub = client_id) for this
 * service carrying `scope`; no token → 401, a token for another audience → 401 `invalid_token`,
 * a user's token or one without the scope → 403 `insufficient_scope`.
 */
export function requireServiceScope(scope: string) {
  return async function requireServiceScopeHook(request: FastifyRequest): Promise<void> {
    const principal = await authenticate(request);
    if (principal.kind !== 'service') throw forbidden('This action is for services');
    requireScope(principal, scope);
  };
}

export type { Principal, Role };
