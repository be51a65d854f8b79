import { findLiveSessionsOfUser } from '../data-access/sessions-repository.js';
import type { Caller } from './caller.js';
import type { IdentityDeps } from './deps.js';
import type { Session } from './session.js';

/** The caller's own live sessions, newest first (a query by owner: never another user's row). */
export function listSessions(deps: IdentityDeps, caller: Caller): Promise<Session[]> {
  return findLiveSessionsOfUser(deps.db, caller.user.id, deps.now());
}
