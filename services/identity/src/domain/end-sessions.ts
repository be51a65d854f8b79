import type { IdentityDb } from '../data-access/db.js';
import {
  deleteGrants,
  deleteGrantsOfAccount,
  deleteProviderSessions,
  type EndedProviderSession,
} from '../data-access/oidc-sessions-repository.js';
import { type RevokedSession, revokeSessionsOfUser } from '../data-access/sessions-repository.js';
import type { RevokeReason } from './session.js';

export type { EndedProviderSession };

/** What ending sessions ended: our rows, the provider's sessions, and how many grants went with them. */
export interface SessionsEnded {
  revoked: RevokedSession[];
  /** For back-channel logout notices to the clients that were signed in (sent after the commit). */
  providerSessions: EndedProviderSession[];
  grantsRevoked: number;
}

/**
 * Ends sessions of one user everywhere, inside the caller's transaction (with its audit entry):
 * - `{ only }`: that session and the other rows of the same browser sign-on; its provider session
 *   and the grants of the clients signed in with it, except those that outlive a logout
 *   (offline_access) — what the provider's own logout does;
 * - `{ except }`: every other session (all when null), every provider session of the account and
 *   every grant of it, offline ones included ("sign out everywhere", password change, suspension).
 * A refresh token of an ended grant is gone (invalid_grant at once), and a browser's provider
 * cookie finds no session (the next authorization request asks for the password).
 */
export async function endSessions(
  trx: IdentityDb,
  userId: string,
  reason: RevokeReason,
  at: Date,
  scope: { only: string } | { except: string | null },
): Promise<SessionsEnded> {
  const revoked = await revokeSessionsOfUser(trx, userId, reason, at, scope);
  if ('only' in scope) {
    const uids = [...new Set(revoked.flatMap((r) => (r.providerSessionUid ? [r.providerSessionUid] : [])))];
    const providerSessions = await deleteProviderSessions(trx, { uids });
    const grants = providerSessions.flatMap((p) => p.authorizations.flatMap((a) => (a.grantId && !a.persistsLogout ? [a.grantId] : [])));
    return { revoked, providerSessions, grantsRevoked: await deleteGrants(trx, grants) };
  }
  const providerSessions = await deleteProviderSessions(trx, { accountId: userId });
  return { revoked, providerSessions, grantsRevoked: await deleteGrantsOfAccount(trx, userId) };
}

/** Nothing ended (for use cases that end no session). */
export const NOTHING_ENDED: SessionsEnded = { revoked: [], providerSessions: [], grantsRevoked: 0 };
