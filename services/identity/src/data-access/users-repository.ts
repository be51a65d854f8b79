import { type Selectable, sql } from '@emporium/db';
import type { Role, User, UserWithCredentials } from '../domain/user.js';
import type { IdentityDb } from './db.js';
import type { UsersTable } from './tables.js';

const COLUMNS = [
  'id',
  'email',
  'name',
  'roles',
  'region',
  'refund_limit_amount',
  'refund_limit_currency',
  'suspended',
  'created_at',
  'updated_at',
] as const;

type Row = Pick<Selectable<UsersTable>, (typeof COLUMNS)[number]>;

export const toUser = (row: Row): User => ({
  id: row.id,
  email: row.email,
  name: row.name,
  roles: row.roles as Role[],
  region: row.region,
  refundLimit:
    row.refund_limit_amount !== null && row.refund_limit_currency !== null
      ? { amount: Number(row.refund_limit_amount), currency: row.refund_limit_currency }
      : null,
  suspended: row.suspended,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export async function insertUser(trx: IdentityDb, user: UserWithCredentials): Promise<void> {
  await trx
    .insertInto('users')
    .values({
      id: user.id,
      email: user.email,
      name: user.name,
      password_hash: user.passwordHash,
      roles: user.roles,
      region: user.region,
      refund_limit_amount: user.refundLimit?.amount ?? null,
      refund_limit_currency: user.refundLimit?.currency ?? null,
      suspended: user.suspended,
      created_at: user.createdAt,
      updated_at: user.updatedAt,
    })
    .execute();
}

export async function findUserById(db: IdentityDb, id: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && toUser(row);
}

/** The account with this e-mail (compared case-insensitively) and its password hash. */
export async function findUserWithCredentialsByEmail(db: IdentityDb, email: string): Promise<UserWithCredentials | undefined> {
  const row = await db
    .selectFrom('users')
    .select([...COLUMNS, 'password_hash'])
    .where(sql<boolean>`lower(email) = lower(${email})`)
    .executeTakeFirst();
  return row && { ...toUser(row), passwordHash: row.password_hash };
}

/** Reads the user and its hash and holds the row lock until the transaction ends. */
export async function lockUserForUpdate(trx: IdentityDb, id: string): Promise<UserWithCredentials | undefined> {
  const row = await trx
    .selectFrom('users')
    .select([...COLUMNS, 'password_hash'])
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  return row && { ...toUser(row), passwordHash: row.password_hash };
}

export async function savePasswordHash(trx: IdentityDb, id: string, passwordHash: string, at: Date): Promise<void> {
  await trx.updateTable('users').set({ password_hash: passwordHash, updated_at: at }).where('id', '=', id).execute();
}

/** Writes roles and attributes of a user read with lockUserForUpdate. */
export async function saveUserAttributes(trx: IdentityDb, user: User): Promise<void> {
  await trx
    .updateTable('users')
    .set({
      roles: user.roles,
      region: user.region,
      refund_limit_amount: user.refundLimit?.amount ?? null,
      refund_limit_currency: user.refundLimit?.currency ?? null,
      suspended: user.suspended,
      updated_at: user.updatedAt,
    })
    .where('id', '=', user.id)
    .execute();
}

export interface UserFilter {
  /** Case-insensitive prefix of the e-mail. */
  emailPrefix: string | undefined;
  after: { position: string; id: string } | undefined;
  limit: number;
}

/** One page of users, newest first, each with the opaque position of its (created_at, id) key. */
export async function findUserPage(db: IdentityDb, f: UserFilter): Promise<{ user: User; position: string }[]> {
  let query = db
    .selectFrom('users')
    .select(COLUMNS)
    .select(sql<string>`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('position'));
  if (f.emailPrefix) {
    // LIKE with the prefix's own wildcards escaped, so "a_b" matches only "a_b…".
    const escaped = f.emailPrefix.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
    query = query.where(sql<boolean>`lower(email) LIKE ${`${escaped}%`}`);
  }
  if (f.after) query = query.where(sql<boolean>`(created_at, id) < (${f.after.position}::timestamptz, ${f.after.id}::uuid)`);
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
  return rows.map(({ position, ...row }) => ({ user: toUser(row), position }));
}
