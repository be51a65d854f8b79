import { allowed, type Principal, ROLES } from '@emporium/auth';
import { describe, expect, it } from 'vitest';
import { type InventoryAction, type InventorySubject, inventoryPolicy, STOCK_READERS, STOCK_WRITERS } from '../src/policy.js';

/** The inventory's policy as a table, without HTTP: every caller × action × subject. */

const ACTIONS: InventoryAction[] = ['read', 'count', 'receive'];
const SUBJECTS: InventorySubject[] = ['Stock', 'Reservation'];

const user = (roles: Principal['roles'], extra: Partial<Principal> = {}): Principal => ({
  subject: `usr_${roles[0] ?? 'nobody'}`,
  kind: 'user',
  roles,
  customerId: undefined,
  region: undefined,
  refundLimit: undefined,
  suspended: false,
  clientId: 'admin-console',
  scopes: [],
  tokenId: 'jti-1',
  ...extra,
});

const service = (clientId: string, scopes: string[], extra: Partial<Principal> = {}): Principal => ({
  ...user([]),
  subject: clientId,
  kind: 'service',
  clientId,
  scopes,
  ...extra,
});

const READ = ['read Stock', 'read Reservation'];
const WRITE = ['count Stock', 'receive Stock'];

/** Who may do what, as "action Subject"; everything else is denied. */
const TABLE: [who: string, principal: Principal, may: string[]][] = [
  ['a customer', user(['customer'], { subject: 'cus_1', customerId: 'cus_1', clientId: 'storefront' }), []],
  ['support', user(['support'], { region: 'eu' }), READ],
  ['support without a region', user(['support']), READ],
  ['a merchandiser', user(['merchandiser']), [...READ, ...WRITE]],
  ['an admin', user(['admin']), [...READ, ...WRITE]],
  ['a user with no known role', user([]), []],
  ['the orders service', service('orders', ['catalog:prices']), []],
  ['a service token that claims the admin role', service('orders', [], { roles: ['admin'] }), []],
  ['a suspended support', user(['support'], { suspended: true }), []],
  ['a suspended merchandiser', user(['merchandiser'], { suspended: true }), []],
  ['a suspended admin', user(['admin'], { suspended: true }), []],
];

const rows = TABLE.flatMap(([who, principal, may]) =>
  ACTIONS.flatMap((action) =>
    SUBJECTS.map((subject) => ({ who, principal, action, subject, decision: may.includes(`${action} ${subject}`) ? 'allow' : 'deny' })),
  ),
);

describe('the inventory policy', () => {
  it.each(rows)('$who: $action $subject → $decision', ({ principal, action, subject, decision }) => {
    expect(allowed(inventoryPolicy(principal), action, subject) ? 'allow' : 'deny').toBe(decision);
  });

  it('a suspended user of any role, or of all of them, is denied everything (deny overrides every grant)', () => {
    for (const roles of [...ROLES.map((role) => [role]), [...ROLES]]) {
      const ability = inventoryPolicy(user(roles, { suspended: true }));
      for (const action of ACTIONS)
        for (const subject of SUBJECTS) expect(allowed(ability, action, subject), `${roles} ${action}`).toBe(false);
    }
  });

  it('the routes guard with exactly the roles the policy names (STOCK_READERS, STOCK_WRITERS)', () => {
    for (const role of ROLES) {
      const ability = inventoryPolicy(user([role]));
      expect(allowed(ability, 'read', 'Stock'), `${role} reads`).toBe((STOCK_READERS as readonly string[]).includes(role));
      expect(allowed(ability, 'read', 'Reservation'), `${role} reads reservations`).toBe(
        (STOCK_READERS as readonly string[]).includes(role),
      );
      expect(allowed(ability, 'count', 'Stock'), `${role} counts`).toBe((STOCK_WRITERS as readonly string[]).includes(role));
      expect(allowed(ability, 'receive', 'Stock'), `${role} receives`).toBe((STOCK_WRITERS as readonly string[]).includes(role));
    }
  });
});
