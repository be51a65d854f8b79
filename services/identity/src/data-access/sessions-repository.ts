import { type Selectable, sql } from '@emporium/db';
import type { RevokeReason, Session } from '../domain/session.js';
import type { Role, User } from '../domain/user.js';
import type { IdentityDb } from './db.js';
import type { SessionsTable } from './tables.js';
import { toUser } from './users-repository.js';

const COLUMNS = [
  'id',
  'user_id',
  'created_at',
  'last_seen_at',
  'idle_expires_at',
  'absolute_expires_at',
  'revoked_at',
  'user_agent',
  'ip',
  'oidc_session_uid',
] as const;

const toSession = (row: Pick<Selectable<SessionsTable>, (typeof COLUMNS)[number]>): Session => ({
  id: row.id,
  userId: row.user_id,
  createdAt: row.created_at,
  lastSeenAt: row.last_seen_at,
  idleExpiresAt: row.idle_expires_at,
  absoluteExpiresAt: row.absolute_expires_at,
  revokedAt: row.revoked_at,
  userAgent: row.user_agent,
  ip: row.ip,
  providerSessionUid: row.oidc_session_uid,
});

export async function insertSession(trx: IdentityDb, session: Session, tokenHash: Buffer): Promise<void> {
  await trx
    .insertInto('sessions')
    .values({
      id: session.id,
      token_hash: tokenHash,
      user_id: session.userId,
      created_at: session.createdAt,
      last_seen_at: session.lastSeenAt,
      idle_expires_at: session.idleExpiresAt,
      absolute_expires_at: session.absoluteExpiresAt,
      revoked_at: null,
      revoked_reason: null,
      user_agent: session.userAgent,
      ip: session.ip,
      oidc_session_uid: session.providerSessionUid,
    })
    .execute();
}

/**
 * The live session with this secret's hash and its user, in one statement that also slides the
 * idle expiry (never past the absolute one) and records the use. Undefined when the session is
 * unknown, revoked, expired, or its user is suspended.
 */
export async function touchLiveSession(
  db: IdentityDb,
  tokenHash: Buffer,
  now: Date,
  idleSeconds: number,
): Promise<{ session: Session; user: User } | undefined> {
  const result = await sql<Record<string, any>>`
    UPDATE sessions s
    SET last_seen_at = ${now},
        idle_expires_at = least(${now}::timestamptz + make_interval(secs => ${idleSeconds}), s.absolute_expires_at)
    FROM users u
    WHERE s.token_hash = ${tokenHash} AND u.id = s.user_id AND NOT u.suspended
      AND s.revoked_at IS NULL AND s.idle_expires_at > ${now} AND s.absolute_expires_at > ${now}
    RETURNING s.id, s.user_id, s.created_at, s.last_seen_at, s.idle_expires_at, s.absolute_expires_at, s.revoked_at,
      s.user_agent, s.ip, s.oidc_session_uid, u.email, u.name, u.roles, u.region, u.refund_limit_amount, u.refund_limit_currency, u.suspended,
      u.created_at AS user_created_at, u.updated_at AS user_updated_at`.execute(db);
  const row = result.rows[0];
  if (!row) return undefined;
  return {
    session: toSession(row as Selectable<SessionsTable>),
    user: toUser({
      id: row.user_id,
      email: row.email,
      name: row.name,
      roles: row.roles as Role[],
      region: row.region,
      refund_limit_amount: row.refund_limit_amount,
      refund_limit_currency: row.refund_limit_currency,
      suspended: row.suspended,
      created_at: row.user_created_at,
      updated_at: row.user_updated_at,
    }),
  };
}

/** The user's sessions that are neither revoked nor expired, newest first. */
export async function findLiveSessionsOfUser(db: IdentityDb, userId: string, now: Date): Promise<Session[]> {
  const rows = await db
    .selectFrom('sessions')
    .select(COLUMNS)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('idle_expires_at', '>', now)
    .where('absolute_expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toSession);
}

/** Any user's session by its public id: whether the caller may see it is the policy's decision. */
export async function findSessionById(db: IdentityDb, id: string): Promise<Session | undefined> {
  const row = await db.selectFrom('sessions').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && toSession(row);
}

/** A session ended by revokeSessionsOfUser, with the provider session it stood for (if any). */
export interface RevokedSession {
  id: string;
  providerSessionUid: string | null;
}

/**
 * Revokes the user's unrevoked sessions (all, or all but `except`, or just `only` together with
 * the other rows of the same provider session: one browser sign-on); returns those revoked.
 * Expired ones are revoked too: cheaper than telling them apart, and harmless.
 */
export async function revokeSessionsOfUser(
  trx: IdentityDb,
  userId: string,
  reason: RevokeReason,
  at: Date,
  options: { only?: string; except?: string | null } = {},
): Promise<RevokedSession[]> {
  let query = trx
    .updateTable('sessions')
    .set({ revoked_at: at, revoked_reason: reason })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null);
  if (options.only) {
    const only = options.only;
    query = query.where((eb) =>
      eb.or([
        eb('id', '=', only),
        eb('oidc_session_uid', '=', eb.selectFrom('sessions as s').select('s.oidc_session_uid').where('s.id', '=', only)),
      ]),
    );
  }
  if (options.except) query = query.where('id', '<>', options.except);
  const rows = await query.returning(['id', 'oidc_session_uid']).execute();
  return rows.map((r) => ({ id: r.id, providerSessionUid: r.oidc_session_uid }));
}

/** Revokes the unrevoked sessions standing for one provider session (its logout at /oidc); returns them. */
export async function revokeSessionsOfProviderSession(
  trx: IdentityDb,
  uid: string,
  reason: RevokeReason,
  at: Date,
): Promise<{ id: string; userId: string }[]> {
  const rows = await trx
    .updateTable('sessions')
    .set({ revoked_at: at, revoked_reason: reason })
    .where('oidc_session_uid', '=', uid)
    .where('revoked_at', 'is', null)
    .returning(['id', 'user_id'])
    .execute();
  return rows.map((r) => ({ id: r.id, userId: r.user_id }));
}

/**
 * Ties the session a login through /oidc opened to the provider's session, while it is live and
 * not tied to another one. False when it was ended (or expired) before the provider's session began.
 */
export async function linkSessionToProviderSession(
  db: IdentityDb,
  link: { sessionId: string; userId: string; uid: string },
  now: Date,
): Promise<boolean> {
  const rows = await db
    .updateTable('sessions')
    .set({ oidc_session_uid: link.uid })
    .where('id', '=', link.sessionId)
    .where('user_id', '=', link.userId)
    .where('revoked_at', 'is', null)
    .where('idle_expires_at', '>', now)
    .where('absolute_expires_at', '>', now)
    .where((eb) => eb.or([eb('oidc_session_uid', 'is', null), eb('oidc_session_uid', '=', link.uid)]))
    .returning('id')
    .execute();
  return rows.length > 0;
}

/**
 * Records a use of a provider session (a refresh, a code redeemed, a sign-on at another client):
 * slides the idle expiry of the live sessions standing for it, never past the absolute one. False
 * when none is live (ended, expired, or the user suspended): the provider must then refuse.
 */
export async function touchSessionsOfProviderSession(db: IdentityDb, uid: string, now: Date, idleSeconds: number): Promise<boolean> {
  const result = await sql<{ id: string }>`
    UPDATE sessions s
    SET last_seen_at = ${now},
        idle_expires_at = least(${now}::timestamptz + make_interval(secs => ${idleSeconds}), s.absolute_expires_at)
    FROM users u
    WHERE s.oidc_session_uid = ${uid} AND u.id = s.user_id AND NOT u.suspended
      AND s.revoked_at IS NULL AND s.idle_expires_at > ${now} AND s.absolute_expires_at > ${now}
    RETURNING s.id`.execute(db);
  return result.rows.length > 0;
}
