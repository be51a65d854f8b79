import type { FastifyRequest } from 'fastify';
import { type Authenticated, authenticateSession } from '../../domain/authenticate-session.js';
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

/** The caller's session from `Authorization: Session <secret>`; none or a dead one → 401 unauthenticated. */
export async function requireSession(deps: IdentityDeps, request: FastifyRequest): Promise<Authenticated> {
  const header = request.headers.authorization;
  const secret = typeof header === 'string' ? SESSION_SCHEME.exec(header)?.[1] : undefined;
  const auth = secret ? await authenticateSession(deps, secret) : undefined;
  if (!auth) throw unauthenticated();
  return auth;
}
