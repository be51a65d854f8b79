import { allowed, type Principal, ROLES } from '@emporium/auth';
import { describe, expect, it } from 'vitest';
import { CATALOG_WRITERS, type CatalogAction, type CatalogSubject, catalogPolicy } from '../src/policy.js';

/** The catalog's policy as a table, without HTTP: every caller × action × subject. */

const ACTIONS: CatalogAction[] = ['read', 'create', 'update', 'publish'];
const SUBJECTS: CatalogSubject[] = ['Product', 'Sku'];

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

const customer = user(['customer'], { subject: 'cus_1', customerId: 'cus_1', clientId: 'storefront' });

/** Who may do what: the actions allowed on products and on SKUs alike; every other action is denied. */
const TABLE: [who: string, principal: Principal | undefined, may: CatalogAction[]][] = [
  ['anonymous (no token)', undefined, ['read']],
  ['a customer', customer, ['read']],
  ['support', user(['support'], { region: 'eu' }), ['read']],
  ['a merchandiser', user(['merchandiser']), ['read', 'create', 'update', 'publish']],
  ['an admin', user(['admin'], { refundLimit: { amount: 5000, currency: 'EUR' } }), ['read', 'create', 'update', 'publish']],
  ['a user with no known role', user([]), ['read']],
  ['the orders service (catalog:prices)', service('orders', ['catalog:prices']), ['read']],
  ['a service token that claims a writer role', service('orders', [], { roles: ['admin'] }), ['read']],
  ['a suspended merchandiser', user(['merchandiser'], { suspended: true }), []],
  ['a suspended admin', user(['admin'], { suspended: true }), []],
  ['a suspended customer', { ...customer, suspended: true }, []],
];

const rows = TABLE.flatMap(([who, principal, may]) =>
  ACTIONS.flatMap((action) =>
    SUBJECTS.map((subject) => ({ who, principal, action, subject, decision: may.includes(action) ? 'allow' : 'deny' })),
  ),
);

describe('the catalog policy', () => {
  it.each(rows)('$who: $action $subject → $decision', ({ principal, action, subject, decision }) => {
    expect(allowed(catalogPolicy(principal), action, subject) ? 'allow' : 'deny').toBe(decision);
  });

  it('a suspended user of any role is denied everything, even reading (deny overrides every grant)', () => {
    for (const role of ROLES) {
      const ability = catalogPolicy(user([role], { suspended: true }));
      for (const action of ACTIONS)
        for (const subject of SUBJECTS) expect(allowed(ability, action, subject), `${role} ${action}`).toBe(false);
    }
  });

  it('the writer routes guard with exactly the roles the policy lets write (CATALOG_WRITERS)', () => {
    for (const role of ROLES) {
      const canWrite = allowed(catalogPolicy(user([role])), 'create', 'Product');
      expect(canWrite, role).toBe((CATALOG_WRITERS as readonly string[]).includes(role));
    }
  });
});
