import { forbidden, type Principal } from '@emporium/auth';
import { findUserById } from '../data-access/users-repository.js';
import type { IdentityDeps } from './deps.js';
import { unauthenticated } from './errors.js';
import type { User } from './user.js';

/**
 * Who is calling one of the user's own routes: the user as our table has them now, and how they
 * proved it — the secret of a session (`Authorization: Session`) or an access token for identity
 * (`Authorization: Bearer`) that the platform verified.
 */
export interface Caller {
  user: User;
  /** The session the request came with; null for an access token (which names no session of ours). */
  sessionId: string | null;
  via: 'session' | 'access_token';
  /** The access token's `jti` and `client_id`, for the audit log; null for a session. */
  tokenId: string | null;
  clientId: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The caller named by a verified access token. Identity owns the accounts, so the token says WHO
 * and our table says WHAT they are now: a user unknown here → 401; suspended here (even if the
 * token, up to its 5 minutes old, says not) → 403; a service's token (client credentials) → 403.
 */
export async function callerOfToken(deps: Pick<IdentityDeps, 'db'>, principal: Principal): Promise<Caller> {
  if (principal.kind !== 'user') throw forbidden('This route is for users, not services');
  if (principal.suspended) throw forbidden('The account is suspended');
  const user = UUID.test(principal.subject) ? await findUserById(deps.db, principal.subject) : undefined;
  if (!user) throw unauthenticated();
  if (user.suspended) throw forbidden('The account is suspended');
  return { user, sessionId: null, via: 'access_token', tokenId: principal.tokenId ?? null, clientId: principal.clientId };
}

/**
 * The caller as the policy sees them, from our table (roles, region, limit, suspension as they
 * are now), whichever way they authenticated.
 */
export function principalOfCaller(caller: Caller): Principal {
  const { user } = caller;
  return {
    subject: user.id,
    kind: 'user',
    roles: [...user.roles],
    customerId: user.roles.includes('customer') ? user.id : undefined,
    region: user.region ?? undefined,
    refundLimit: user.refundLimit ?? undefined,
    suspended: user.suspended,
    clientId: caller.clientId ?? 'identity',
    scopes: [],
    tokenId: caller.tokenId ?? undefined,
  };
}

/** What the audit log notes about how an action was authorised (never the token itself). */
export const auditVia = (caller: Caller): Record<string, unknown> =>
  caller.via === 'session' ? {} : { via: 'access_token', clientId: caller.clientId, tokenId: caller.tokenId };
