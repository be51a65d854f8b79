import { definePolicy } from '@emporium/auth';

/**
 * Who may do what in identity: the whole policy, in one place (CASL via @emporium/auth). Whatever
 * is not granted here is denied; a suspended principal is denied everything (deny overrides).
 * The principal comes from our users table (caller.ts), so roles changed a second ago count.
 *
 * | principal          | may                                                                        |
 * | ------------------ | -------------------------------------------------------------------------- |
 * | any user           | read their Account; read and revoke their own Sessions; read their Activity |
 * | customer           | read, create, update, delete their own Addresses                           |
 * | admin              | read any User and the AuditLog; update another User (roles, attributes,    |
 * |                    | suspension) — never themselves: that is another admin's decision           |
 * | support, merchandiser (beyond "any user"), services | nothing here                              |
 *
 * Resources are plain objects of the fields the conditions name: Account `{ id }`, Session and
 * Activity `{ userId }`, Address `{ userId }`, User `{ id }`.
 */
export type IdentityAction = 'read' | 'create' | 'update' | 'delete' | 'revoke';
export type IdentitySubject = 'Account' | 'Session' | 'Activity' | 'Address' | 'User' | 'AuditLog';

export const identityPolicy = definePolicy<IdentityAction, IdentitySubject>((can, cannot, principal) => {
  // Accounts belong to people: a client-credentials token gets nothing here.
  if (principal.kind !== 'user') return;
  const me = principal.subject;
  can('read', 'Account', { id: me });
  can(['read', 'revoke'], 'Session', { userId: me });
  can('read', 'Activity', { userId: me });
  // customerId is set only for a user holding the role customer (never a condition on undefined).
  if (principal.customerId) can(['read', 'create', 'update', 'delete'], 'Address', { userId: principal.customerId });
  if (principal.roles.includes('admin')) {
    can('read', ['User', 'AuditLog']);
    can('update', 'User');
    // Later rules win in CASL: no admin raises their own refund limit or lifts their own suspension.
    cannot('update', 'User', { id: me });
  }
});
