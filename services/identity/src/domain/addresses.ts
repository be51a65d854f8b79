import { authorize, authorizeVisible } from '@emporium/auth';
import { inTransaction } from '@emporium/db';
import {
  countAddressesOfUser,
  deleteAddress,
  findAddressById,
  findAddressesOfUser,
  insertAddress,
  lockAddressForUpdate,
  saveAddress,
} from '../data-access/addresses-repository.js';
import { appendAudit } from '../data-access/audit-repository.js';
import type { IdentityDb } from '../data-access/db.js';
import { lockUserForUpdate } from '../data-access/users-repository.js';
import { type Address, type AddressInput, MAX_ADDRESSES, normalizedAddress } from './address.js';
import { AUDIT_ACTIONS, type AuditAction, auditEntry } from './audit.js';
import { auditVia, type Caller, principalOfCaller } from './caller.js';
import type { Client, IdentityDeps } from './deps.js';
import { addressNotFound, tooManyAddresses } from './errors.js';
import { identityPolicy } from '../policy.js';

/**
 * A customer's saved shipping addresses: the five small use cases of one resource, kept together.
 * Every one asks the policy (identityPolicy): only the owner, a customer, sees or touches an
 * address; anyone else gets the same 404 as for an id that does not exist (no existence leak).
 * Each change is audited in its transaction (id and country only: the address is personal data).
 */

const abilityOf = (caller: Caller) => identityPolicy(principalOfCaller(caller));

/** The address when the caller may `action` it; 404 address_not_found when they may not even read it. */
async function visibleAddress(
  db: IdentityDb,
  caller: Caller,
  id: string,
  action: 'read' | 'update' | 'delete',
  find = findAddressById,
): Promise<Address> {
  const address = await find(db, id);
  if (!address) throw addressNotFound(id);
  authorizeVisible(abilityOf(caller), action, 'Address', { userId: address.userId }, () => addressNotFound(id));
  return address;
}

function audit(trx: IdentityDb, deps: IdentityDeps, caller: Caller, client: Client, action: AuditAction, address: Address, at: Date) {
  return appendAudit(trx, [
    auditEntry(deps.newId, at, {
      actor: caller.user.id,
      subjectUserId: address.userId,
      action,
      details: { addressId: address.id, country: address.country, ...auditVia(caller) },
      ip: client.ip,
    }),
  ]);
}

/** The caller's own addresses, newest first (a query by owner: never another user's row). */
export async function listAddresses(deps: IdentityDeps, caller: Caller): Promise<Address[]> {
  authorize(abilityOf(caller), 'read', 'Address');
  return findAddressesOfUser(deps.db, caller.user.id);
}

export async function getAddress(deps: IdentityDeps, caller: Caller, id: string): Promise<Address> {
  return visibleAddress(deps.db, caller, id, 'read');
}

/** Saves a new address for the caller (at most MAX_ADDRESSES → 409 too_many_addresses). */
export async function addAddress(deps: IdentityDeps, caller: Caller, input: AddressInput, client: Client): Promise<Address> {
  authorize(abilityOf(caller), 'create', 'Address', { userId: caller.user.id });
  const fields = normalizedAddress(input);
  const at = deps.now();
  const address: Address = { id: deps.newId(), userId: caller.user.id, ...fields, createdAt: at, updatedAt: at };
  await inTransaction(deps.db, async (trx) => {
    // The user's row lock serialises their concurrent additions, so the limit holds.
    await lockUserForUpdate(trx, caller.user.id);
    if ((await countAddressesOfUser(trx, caller.user.id)) >= MAX_ADDRESSES) throw tooManyAddresses(MAX_ADDRESSES);
    await insertAddress(trx, address);
    await audit(trx, deps, caller, client, AUDIT_ACTIONS.addressAdded, address, at);
  });
  return address;
}

/** Replaces one of the caller's addresses with the given one (PUT: every field). */
export async function replaceAddress(
  deps: IdentityDeps,
  caller: Caller,
  id: string,
  input: AddressInput,
  client: Client,
): Promise<Address> {
  const fields = normalizedAddress(input);
  const at = deps.now();
  return inTransaction(deps.db, async (trx) => {
    const current = await visibleAddress(trx, caller, id, 'update', lockAddressForUpdate);
    const next: Address = { ...current, ...fields, updatedAt: at };
    await saveAddress(trx, next);
    await audit(trx, deps, caller, client, AUDIT_ACTIONS.addressChanged, next, at);
    return next;
  });
}

export async function removeAddress(deps: IdentityDeps, caller: Caller, id: string, client: Client): Promise<void> {
  const at = deps.now();
  await inTransaction(deps.db, async (trx) => {
    const current = await visibleAddress(trx, caller, id, 'delete', lockAddressForUpdate);
    await deleteAddress(trx, id);
    await audit(trx, deps, caller, client, AUDIT_ACTIONS.addressRemoved, current, at);
  });
}
