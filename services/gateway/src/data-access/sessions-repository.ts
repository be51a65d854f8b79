import { type Selectable, sql } from '@emporium/db';
import type { AppKey } from '../domain/app.js';
import type { BffSession } from '../domain/session.js';
import type { BffSessionsTable, GatewayDb } from './tables.js';

type SessionRow = Selectable<BffSessionsTable>;

const toSession = (row: SessionRow): BffSession => ({
  id: row.id,
  app: row.app as AppKey,
  subject: row.subject,
  sid: row.sid,
  claims: row.claims as BffSession['claims'],
  csrfToken: row.csrf_token,
  createdAt: row.created_at,
  lastSeenAt: row.last_seen_at,
  idleExpiresAt: row.idle_expires_at,
  absoluteExpiresAt: row.absolute_expires_at,
});

export interface NewSessionRow {
  session: BffSession;
  secretHash: Buffer;
  idToken: Buffer;
  refreshToken: Buffer | null;
}

export async function insertSession(db: GatewayDb, row: NewSessionRow): Promise<void> {
  const { session } = row;
  await db
    .insertInto('bff_sessions')
    .values({
      id: session.id,
      secret_hash: row.secretHash,
      app: session.app,
      subject: session.subject,
      sid: session.sid,
      claims: JSON.stringify(session.claims),
      csrf_token: session.csrfToken,
      id_token: row.idToken,
      refresh_token: row.refreshToken,
      created_at: session.createdAt,
      last_seen_at: session.lastSeenAt,
      idle_expires_at: session.idleExpiresAt,
      absolute_expires_at: session.absoluteExpiresAt,
    })
    .execute();
}

export interface SealedAccessToken {
  token: Buffer;
  expiresAt: Date;
}

/**
 * The live session of `app` with this secret's hash, in one statement that also slides its idle
 * expiry (never past the absolute one) and reads the access token it holds for `audience`, if any.
 * Undefined when the session is unknown, of another app, or expired.
 */
export async function touchLiveSession(
  db: GatewayDb,
  secretHash: Buffer,
  app: AppKey,
  now: Date,
  idleSeconds: number,
  audience: string | undefined,
): Promise<{ session: BffSession; accessToken: SealedAccessToken | undefined } | undefined> {
  const result = await sql<SessionRow & { access_token: Buffer | null; access_expires_at: Date | null }>`
    WITH touched AS (
      UPDATE bff_sessions
      SET last_seen_at = ${now},
          idle_expires_at = least(${now}::timestamptz + make_interval(secs => ${idleSeconds}), absolute_expires_at)
      WHERE secret_hash = ${secretHash} AND app = ${app} AND idle_expires_at > ${now} AND absolute_expires_at > ${now}
      RETURNING id, app, subject, sid, claims, csrf_token, created_at, last_seen_at, idle_expires_at, absolute_expires_at
    )
    SELECT touched.*, t.token AS access_token, t.expires_at AS access_expires_at
    FROM touched LEFT JOIN bff_access_tokens t ON t.session_id = touched.id AND t.audience = ${audience ?? null}`.execute(db);
  const row = result.rows[0];
  if (!row) return undefined;
  return {
    session: toSession(row),
    accessToken: row.access_token && row.access_expires_at ? { token: row.access_token, expiresAt: row.access_expires_at } : undefined,
  };
}

/**
 * Locks a live session's row until the transaction ends: refreshes of one session are taken one at
 * a time, across requests and replicas, because the provider rotates the refresh token at every
 * use and a token used twice revokes the whole grant.
 */
export async function lockSessionForUpdate(
  trx: GatewayDb,
  id: string,
  now: Date,
): Promise<{ refreshToken: Buffer | null; idToken: Buffer } | undefined> {
  const row = await trx
    .selectFrom('bff_sessions')
    .select(['refresh_token', 'id_token'])
    .where('id', '=', id)
    .where('absolute_expires_at', '>', now)
    .forUpdate()
    .executeTakeFirst();
  return row ? { refreshToken: row.refresh_token, idToken: row.id_token } : undefined;
}

export async function findAccessToken(db: GatewayDb, sessionId: string, audience: string): Promise<SealedAccessToken | undefined> {
  const row = await db
    .selectFrom('bff_access_tokens')
    .select(['token', 'expires_at'])
    .where('session_id', '=', sessionId)
    .where('audience', '=', audience)
    .executeTakeFirst();
  return row ? { token: row.token, expiresAt: row.expires_at } : undefined;
}

/** After a refresh: the rotated refresh token (and a new ID token, if one came) and the access token for `audience`. */
export async function saveRefreshedTokens(
  trx: GatewayDb,
  sessionId: string,
  tokens: { refreshToken: Buffer | null; idToken: Buffer | undefined; audience: string; accessToken: SealedAccessToken },
): Promise<void> {
  await trx
    .updateTable('bff_sessions')
    .set({ refresh_token: tokens.refreshToken, ...(tokens.idToken ? { id_token: tokens.idToken } : {}) })
    .where('id', '=', sessionId)
    .execute();
  await saveAccessToken(trx, sessionId, tokens.audience, tokens.accessToken);
}

export async function saveAccessToken(trx: GatewayDb, sessionId: string, audience: string, token: SealedAccessToken): Promise<void> {
  await trx
    .insertInto('bff_access_tokens')
    .values({ session_id: sessionId, audience, token: token.token, expires_at: token.expiresAt })
    .onConflict((oc) => oc.columns(['session_id', 'audience']).doUpdateSet({ token: token.token, expires_at: token.expiresAt }))
    .execute();
}

/** Ends one session; what it held for logout (refresh and ID token) comes back, undefined when it was already gone. */
export async function deleteSession(db: GatewayDb, id: string): Promise<{ refreshToken: Buffer | null; idToken: Buffer } | undefined> {
  const row = await db.deleteFrom('bff_sessions').where('id', '=', id).returning(['refresh_token', 'id_token']).executeTakeFirst();
  return row ? { refreshToken: row.refresh_token, idToken: row.id_token } : undefined;
}

export async function deleteSessionBySecretHash(db: GatewayDb, secretHash: Buffer, app: AppKey): Promise<number> {
  const result = await db.deleteFrom('bff_sessions').where('secret_hash', '=', secretHash).where('app', '=', app).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Back-channel logout: every session of `app` belonging to the provider session `sid`, or, when
 * the token names only a user, every session of that user.
 */
export async function deleteSessionsOf(
  db: GatewayDb,
  app: AppKey,
  who: { sid: string | undefined; sub: string | undefined },
): Promise<number> {
  let query = db.deleteFrom('bff_sessions').where('app', '=', app);
  if (who.sid !== undefined) query = query.where('sid', '=', who.sid);
  if (who.sub !== undefined) query = query.where('subject', '=', who.sub);
  if (who.sid === undefined && who.sub === undefined) return 0;
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function purgeExpiredSessions(db: GatewayDb, now: Date): Promise<number> {
  const result = await db
    .deleteFrom('bff_sessions')
    .where((eb) => eb.or([eb('idle_expires_at', '<=', now), eb('absolute_expires_at', '<=', now)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
