import { purgeExpiredLogins } from '../data-access/logins-repository.js';
import { purgeExpiredSessions } from '../data-access/sessions-repository.js';
import type { BffDeps } from './deps.js';

/** Deletes sign-ins never finished and sessions past a timeout (they already answer 401; this frees the rows). */
export async function purgeExpired(deps: Pick<BffDeps, 'db' | 'now' | 'metrics'>): Promise<{ logins: number; sessions: number }> {
  const now = deps.now();
  const logins = await purgeExpiredLogins(deps.db, now);
  const sessions = await purgeExpiredSessions(deps.db, now);
  deps.metrics.sessionsEnded('expired', sessions);
  return { logins, sessions };
}
