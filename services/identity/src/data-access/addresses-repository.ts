import type { Selectable } from '@emporium/db';
import type { Address } from '../domain/address.js';
import type { IdentityDb } from './db.js';
import type { AddressesTable } from './tables.js';

const COLUMNS = ['id', 'user_id', 'name', 'line1', 'line2', 'city', 'postal_code', 'country', 'created_at', 'updated_at'] as const;

const toAddress = (row: Pick<Selectable<AddressesTable>, (typeof COLUMNS)[number]>): Address => ({
  id: row.id,
  userId: row.user_id,
  name: row.name,
  line1: row.line1,
  line2: row.line2,
  city: row.city,
  postalCode: row.postal_code,
  country: row.country,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toRow = (a: Address) => ({
  name: a.name,
  line1: a.line1,
  line2: a.line2,
  city: a.city,
  postal_code: a.postalCode,
  country: a.country,
  updated_at: a.updatedAt,
});

/** One user's addresses, newest first: the only listing there is (no query reads another user's). */
export async function findAddressesOfUser(db: IdentityDb, userId: string): Promise<Address[]> {
  const rows = await db
    .selectFrom('addresses')
    .select(COLUMNS)
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toAddress);
}

/** Any address by id: whether the caller may see it is the policy's decision (404 when not). */
export async function findAddressById(db: IdentityDb, id: string): Promise<Address | undefined> {
  const row = await db.selectFrom('addresses').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && toAddress(row);
}

/** Reads an address and holds its row lock until the transaction ends. */
export async function lockAddressForUpdate(trx: IdentityDb, id: string): Promise<Address | undefined> {
  const row = await trx.selectFrom('addresses').select(COLUMNS).where('id', '=', id).forUpdate().executeTakeFirst();
  return row && toAddress(row);
}

export async function countAddressesOfUser(trx: IdentityDb, userId: string): Promise<number> {
  const row = await trx
    .selectFrom('addresses')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertAddress(trx: IdentityDb, address: Address): Promise<void> {
  await trx
    .insertInto('addresses')
    .values({ id: address.id, user_id: address.userId, created_at: address.createdAt, ...toRow(address) })
    .execute();
}

export async function saveAddress(trx: IdentityDb, address: Address): Promise<void> {
  await trx.updateTable('addresses').set(toRow(address)).where('id', '=', address.id).execute();
}

export async function deleteAddress(trx: IdentityDb, id: string): Promise<void> {
  await trx.deleteFrom('addresses').where('id', '=', id).execute();
}
