import { sql } from '@emporium/db';
import type { IdentityDb } from './db.js';

/**
 * Serialises the limit check and the reservation of one e-mail and one client address for the rest
 * of the transaction, so concurrent attempts cannot all pass a check that only one should.
 * Always account first, then address: every caller takes them in that order (no deadlock).
 */
export async function lockLoginKeys(trx: IdentityDb, keys: { emailKey?: string | undefined; ip?: string | undefined }): Promise<void> {
  if (keys.emailKey !== undefined)
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`identity.login.account:${keys.emailKey}`}, 0))`.execute(trx);
  if (keys.ip !== undefined) await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`identity.login.ip:${keys.ip}`}, 0))`.execute(trx);
}

/**
 * The failures counted for one key since `since`, oldest first: their times are what tells when
 * the window will have let enough of them go.
 */
export async function failureTimes(trx: IdentityDb, key: { emailKey: string } | { ip: string }, since: Date): Promise<Date[]> {
  let query = trx.selectFrom('login_failures').select('at').where('at', '>', since);
  query = 'emailKey' in key ? query.where('email_key', '=', key.emailKey) : query.where('ip', '=', key.ip);
  const rows = await query.orderBy('at').execute();
  return rows.map((r) => r.at);
}

/** Counts one failed attempt (for the account, the address, or both); returns its id. */
export async function insertFailure(trx: IdentityDb, failure: { emailKey: string | null; ip: string | null; at: Date }): Promise<string> {
  const row = await trx
    .insertInto('login_failures')
    .values({ email_key: failure.emailKey, ip: failure.ip, at: failure.at })
    .returning('id')
    .executeTakeFirstOrThrow();
  return String(row.id);
}

export async function deleteFailure(trx: IdentityDb, id: string): Promise<void> {
  await trx.deleteFrom('login_failures').where('id', '=', id).execute();
}

/**
 * After a successful login the account's count starts again. The address keeps its failures: one
 * attacker's own account must not reset the count of everything else tried from there.
 */
export async function clearAccountFailures(trx: IdentityDb, emailKey: string): Promise<void> {
  await trx.deleteFrom('login_failures').where('email_key', '=', emailKey).execute();
}

/** Deletes a bounded batch of failures older than every window, so the table stays small. */
export async function pruneFailures(trx: IdentityDb, before: Date, batch = 200): Promise<void> {
  await sql`
    DELETE FROM login_failures WHERE id IN (
      SELECT id FROM login_failures WHERE at < ${before} ORDER BY at LIMIT ${batch} FOR UPDATE SKIP LOCKED
    )`.execute(trx);
}
