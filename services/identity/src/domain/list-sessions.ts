import { findLiveSessionsOfUser } from '../data-access/sessions-repository.js';
import type { IdentityDeps } from './deps.js';
import type { Session } from './session.js';

/** The user's own live sessions, newest first. */
export function listSessions(deps: IdentityDeps, userId: string): Promise<Session[]> {
  return findLiveSessionsOfUser(deps.db, userId, deps.now());
}
