import { allowed, type Principal } from '@emporium/auth';
import { describe, expect, it } from 'vitest';
import { type IdentityAction, type IdentitySubject, identityPolicy } from '../src/policy.js';

const ME = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';

const user = (roles: Principal['roles'], extra: Partial<Principal> = {}): Principal => ({
  subject: ME,
  kind: 'user',
  roles,
  customerId: roles.includes('customer') ? ME : undefined,
  region: undefined,
  refundLimit: undefined,
  suspended: false,
  clientId: 'storefront',
  scopes: [],
  tokenId: undefined,
  ...extra,
});
const service: Principal = { ...user([]), subject: 'orders', kind: 'service', clientId: 'orders', scopes: ['identity:admin'] };

const customer = user(['customer']);
const support = user(['support'], { region: 'eu' });
const merchandiser = user(['merchandiser']);
const admin = user(['admin'], { refundLimit: { amount: 5000, currency: 'EUR' } });
const suspendedAdmin = user(['admin'], { suspended: true });
const suspendedCustomer = user(['customer'], { suspended: true });

const mine = { userId: ME };
const theirs = { userId: OTHER };

// principal, action, subject, resource, allowed?
const TABLE: [string, Principal, IdentityAction, IdentitySubject, object | undefined, boolean][] = [
  ['customer', customer, 'read', 'Address', mine, true],
  ['customer', customer, 'create', 'Address', mine, true],
  ['customer', customer, 'update', 'Address', mine, true],
  ['customer', customer, 'delete', 'Address', mine, true],
  ['customer', customer, 'read', 'Address', theirs, false],
  ['customer', customer, 'update', 'Address', theirs, false],
  ['customer', customer, 'create', 'Address', theirs, false],
  ['customer', customer, 'read', 'Session', mine, true],
  ['customer', customer, 'revoke', 'Session', mine, true],
  ['customer', customer, 'revoke', 'Session', theirs, false],
  ['customer', customer, 'read', 'Activity', mine, true],
  ['customer', customer, 'read', 'Activity', theirs, false],
  ['customer', customer, 'read', 'Account', { id: ME }, true],
  ['customer', customer, 'read', 'Account', { id: OTHER }, false],
  ['customer', customer, 'read', 'User', { id: OTHER }, false],
  ['customer', customer, 'update', 'User', { id: ME }, false],
  ['customer', customer, 'read', 'AuditLog', undefined, false],
  ['support (eu)', support, 'read', 'Address', theirs, false],
  ['support (eu)', support, 'read', 'Address', undefined, false],
  ['support (eu)', support, 'revoke', 'Session', mine, true],
  ['support (eu)', support, 'revoke', 'Session', theirs, false],
  ['support (eu)', support, 'read', 'User', { id: OTHER }, false],
  ['merchandiser', merchandiser, 'update', 'User', { id: OTHER }, false],
  ['merchandiser', merchandiser, 'create', 'Address', mine, false],
  ['admin', admin, 'read', 'User', { id: OTHER }, true],
  ['admin', admin, 'update', 'User', { id: OTHER }, true],
  ['admin', admin, 'update', 'User', { id: ME }, false],
  ['admin', admin, 'read', 'AuditLog', undefined, true],
  ['admin', admin, 'read', 'Address', theirs, false],
  ['admin', admin, 'revoke', 'Session', theirs, false],
  ['suspended admin', suspendedAdmin, 'read', 'User', { id: OTHER }, false],
  ['suspended admin', suspendedAdmin, 'read', 'Session', mine, false],
  ['suspended customer', suspendedCustomer, 'read', 'Address', mine, false],
  ['service', service, 'read', 'User', { id: OTHER }, false],
  ['service', service, 'read', 'Session', { userId: 'orders' }, false],
  ['service', service, 'read', 'AuditLog', undefined, false],
];

const owner = (resource: object | undefined) =>
  resource === undefined ? 'any' : Object.values(resource)[0] === ME ? 'own' : 'another user’s';
const ROWS = TABLE.map(([who, principal, action, subject, resource, expected]) => ({
  who,
  principal,
  action,
  subject,
  resource,
  whose: owner(resource),
  decision: expected ? 'allow' : 'deny',
}));

describe('the identity policy', () => {
  it.each(ROWS)('$who: $action $whose $subject → $decision', ({ principal, action, subject, resource, decision }) => {
    expect(allowed(identityPolicy(principal), action, subject, resource) ? 'allow' : 'deny').toBe(decision);
  });
});
