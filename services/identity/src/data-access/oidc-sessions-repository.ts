import { sql } from '@emporium/db';
import type { IdentityDb } from './db.js';

/**
 * The OpenID provider's sessions and grants, ended from our side in OUR transaction (the rows are
 * the provider's storage, see oidc-adapter.ts): when a user or an admin ends a session, the
 * provider's session and the tokens issued under it go in the same commit as the revocation and
 * its audit entry. What is read here is oidc-provider 9's own payload: a Session holds `uid`,
 * `accountId` and `authorizations: { [clientId]: { sid, grantId, persistsLogout? } }`; every token
 * row of a grant carries its `grantId` (column grant_id); a Grant row's id is the grant id.
 */

/** What a provider session held for one client. */
export interface ProviderAuthorization {
  clientId: string;
  /** The session id this client knows (the `sid` of its ID tokens and of a back-channel logout token). */
  sid: string | undefined;
  grantId: string | undefined;
  /** Tokens that outlive a logout (offline_access): the provider's own logout keeps their grant. */
  persistsLogout: boolean;
}

export interface EndedProviderSession {
  uid: string;
  accountId: string | undefined;
  authorizations: ProviderAuthorization[];
}

function endedOf(row: { uid: string | null; payload: Record<string, unknown> }): EndedProviderSession {
  const raw = row.payload.authorizations;
  const authorizations = typeof raw === 'object' && raw !== null ? Object.entries(raw as Record<string, Record<string, unknown>>) : [];
  return {
    uid: row.uid ?? String(row.payload.uid),
    accountId: typeof row.payload.accountId === 'string' ? row.payload.accountId : undefined,
    authorizations: authorizations.map(([clientId, a]) => ({
      clientId,
      sid: typeof a?.sid === 'string' ? a.sid : undefined,
      grantId: typeof a?.grantId === 'string' ? a.grantId : undefined,
      persistsLogout: a?.persistsLogout === true,
    })),
  };
}

/** Deletes the provider sessions with these uids, or all of one account's; returns what they held. */
export async function deleteProviderSessions(
  trx: IdentityDb,
  which: { uids: readonly string[] } | { accountId: string },
): Promise<EndedProviderSession[]> {
  if ('uids' in which && which.uids.length === 0) return [];
  let query = trx.deleteFrom('oidc_payloads').where('kind', '=', 'Session');
  query =
    'uids' in which ? query.where('uid', 'in', [...which.uids]) : query.where(sql<string>`payload->>'accountId'`, '=', which.accountId);
  const rows = await query.returning(['uid', 'payload']).execute();
  return rows.map(endedOf);
}

/** Deletes grants and every token, code and interaction issued under them; returns how many grants there were. */
export async function deleteGrants(trx: IdentityDb, grantIds: readonly string[]): Promise<number> {
  if (grantIds.length === 0) return 0;
  const ids = [...new Set(grantIds)];
  const rows = await trx
    .deleteFrom('oidc_payloads')
    .where((eb) => eb.or([eb('grant_id', 'in', ids), eb.and([eb('kind', '=', 'Grant'), eb('id', 'in', ids)])]))
    .returning('kind')
    .execute();
  return rows.filter((r) => r.kind === 'Grant').length;
}

/** Deletes every grant of one account (offline ones included) with all their tokens; returns how many grants. */
export async function deleteGrantsOfAccount(trx: IdentityDb, accountId: string): Promise<number> {
  const grants = await trx
    .selectFrom('oidc_payloads')
    .select('id')
    .where('kind', '=', 'Grant')
    .where(sql<string>`payload->>'accountId'`, '=', accountId)
    .execute();
  return deleteGrants(
    trx,
    grants.map((g) => g.id),
  );
}
