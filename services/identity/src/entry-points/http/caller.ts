import { authenticate } from '@emporium/service';
import type { FastifyRequest } from 'fastify';
import { authenticateSession } from '../../domain/authenticate-session.js';
import { type Caller, callerOfToken } from '../../domain/caller.js';
import type { Client, IdentityDeps } from '../../domain/deps.js';
import { unauthenticated } from '../../domain/errors.js';

/**
 * The client's address: the socket peer, or, behind `trustedHops` proxies (the gateway appends
 * the address it saw to X-Forwarded-For), the entry that many hops from the right. Entries further
 * left were written by the client and are never trusted.
 */
export function clientOf(request: FastifyRequest, trustedHops: number): Client {
  const forwarded = request.headers['x-forwarded-for'];
  const chain = (typeof forwarded === 'string' ? forwarded.split(',') : []).map((s) => s.trim()).filter(Boolean);
  const addresses = [...chain, request.ip];
  const ip = addresses[Math.max(0, addresses.length - 1 - trustedHops)] ?? null;
  const ua = request.headers['user-agent'];
  return { ip: ip ? ip.slice(0, 64) : null, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null };
}

const SESSION_SCHEME = /^Session\s+(\S+)\s*$/i;

/**
 * The caller of one of the user's own routes, by either credential:
 * - `Authorization: Session <secret>` from /api/identity/login: none of ours, revoked, expired or
 *   a suspended user → 401 `unauthenticated`;
 * - `Authorization: Bearer <access token>` for identity, verified here (platform access.ts): none
 *   → 401 `unauthenticated`, a bad one → 401 `invalid_token`, a service's → 403, a user unknown
 *   to us → 401, suspended (in the token or in our table) → 403 `forbidden`.
 * Nothing a gateway adds as a header is trusted.
 */
export async function requireCaller(deps: IdentityDeps, request: FastifyRequest): Promise<Caller> {
  const header = request.headers.authorization;
  const secret = typeof header === 'string' ? SESSION_SCHEME.exec(header)?.[1] : undefined;
  if (secret !== undefined) {
    const auth = await authenticateSession(deps, secret);
    if (!auth) throw unauthenticated();
    return { user: auth.user, sessionId: auth.session.id, via: 'session', tokenId: null, clientId: null };
  }
  return callerOfToken(deps, await authenticate(request));
}

/**
 * The caller of an admin route: an access token only (the route's `requireRole('admin')` hook has
 * already refused anyone whose token is not an admin's). Whether they are an admin NOW is the
 * policy's decision, on our table (domain/policy.ts).
 */
export async function requireTokenCaller(deps: IdentityDeps, request: FastifyRequest): Promise<Caller> {
  return callerOfToken(deps, await authenticate(request));
}
