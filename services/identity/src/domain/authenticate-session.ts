import { touchLiveSession } from '../data-access/sessions-repository.js';
import type { IdentityDeps } from './deps.js';
import { hashSessionSecret, SESSION_SECRET, type Session } from './session.js';
import type { User } from './user.js';

export interface Authenticated {
  user: User;
  session: Session;
}

/**
 * The user of a live session, with roles and attributes, or undefined (unknown, revoked, expired,
 * or the user suspended). Each use slides the idle expiry, never past the absolute one. What the
 * OIDC provider's login interaction and the gateway will call.
 */
export async function authenticateSession(
  deps: Pick<IdentityDeps, 'db' | 'settings' | 'now'>,
  secret: string,
): Promise<Authenticated | undefined> {
  if (!SESSION_SECRET.test(secret)) return undefined;
  return touchLiveSession(deps.db, hashSessionSecret(secret), deps.now(), deps.settings.sessionIdleSeconds);
}
