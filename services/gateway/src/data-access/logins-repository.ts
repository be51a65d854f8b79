import type { Selectable } from '@emporium/db';
import type { BffLoginsTable, GatewayDb } from './tables.js';

export type PendingLogin = Selectable<BffLoginsTable>;

export async function insertLogin(db: GatewayDb, login: PendingLogin): Promise<void> {
  await db.insertInto('bff_logins').values(login).execute();
}

/** Takes a pending sign-in out (one use only), whether or not it has expired; undefined when there is none. */
export async function takeLogin(db: GatewayDb, secretHash: Buffer, app: string): Promise<PendingLogin | undefined> {
  return db.deleteFrom('bff_logins').where('secret_hash', '=', secretHash).where('app', '=', app).returningAll().executeTakeFirst();
}

export async function deleteLogin(db: GatewayDb, secretHash: Buffer): Promise<void> {
  await db.deleteFrom('bff_logins').where('secret_hash', '=', secretHash).execute();
}

export async function purgeExpiredLogins(db: GatewayDb, now: Date): Promise<number> {
  const result = await db.deleteFrom('bff_logins').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
