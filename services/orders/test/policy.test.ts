/**
 * The orders policy (src/policy.ts) as a table, without HTTP: who may place, read and cancel
 * which order, and read the saga inspector. Then the list filter derived from it: for every
 * principal and every order, "the filter matches" equals "the policy allows reading it".
 */
import { allowed, type Principal, type Role } from '@emporium/auth';
import { describe, expect, it } from 'vitest';
import { type OrderAccess, type OrderAction, type OrderScope, orderScopeOf, ordersPolicy, type OrderSubject } from '../src/policy.js';

function principal(overrides: Partial<Principal> & { roles: Role[] }): Principal {
  return {
    subject: 'usr_1',
    kind: 'user',
    customerId: undefined,
    region: undefined,
    refundLimit: undefined,
    suspended: false,
    clientId: 'storefront',
    scopes: [],
    tokenId: 'jti-1',
    ...overrides,
  };
}

const P = {
  'customer cus_1': principal({ subject: 'cus_1', roles: ['customer'], customerId: 'cus_1', region: 'eu' }),
  'customer cus_2': principal({ subject: 'cus_2', roles: ['customer'], customerId: 'cus_2', region: 'eu' }),
  'suspended customer cus_1': principal({ subject: 'cus_1', roles: ['customer'], customerId: 'cus_1', region: 'eu', suspended: true }),
  'support eu': principal({ roles: ['support'], region: 'eu' }),
  'support us': principal({ roles: ['support'], region: 'us' }),
  'support without region': principal({ roles: ['support'] }),
  'support eu who is also customer cus_3': principal({
    subject: 'cus_3',
    roles: ['support', 'customer'],
    customerId: 'cus_3',
    region: 'eu',
  }),
  admin: principal({ roles: ['admin'], refundLimit: { amount: 5_000, currency: 'EUR' } }),
  'suspended admin': principal({ roles: ['admin'], suspended: true }),
  merchandiser: principal({ roles: ['merchandiser'] }),
  'no role': principal({ roles: [] }),
  'service orders:read': principal({ subject: 'payments', clientId: 'payments', kind: 'service', roles: [], scopes: ['orders:read'] }),
  'service claiming admin': principal({ subject: 'payments', clientId: 'payments', kind: 'service', roles: ['admin'] }),
} satisfies Record<string, Principal>;
type Who = keyof typeof P;

const ORDERS = {
  'cus_1 in eu': { customerId: 'cus_1', region: 'eu' },
  'cus_2 in eu': { customerId: 'cus_2', region: 'eu' },
  'cus_4 in us': { customerId: 'cus_4', region: 'us' },
  'cus_3 without region': { customerId: 'cus_3', region: null },
  'cus_5 without region': { customerId: 'cus_5', region: null },
} satisfies Record<string, OrderAccess>;
type Which = keyof typeof ORDERS;

const can = (who: Who, action: OrderAction, subject: OrderSubject, which?: Which) =>
  allowed(ordersPolicy(P[who]), action, subject, which && ORDERS[which]);

describe('the orders policy', () => {
  it.each<[Who, OrderAction, Which, boolean]>([
    ['customer cus_1', 'read', 'cus_1 in eu', true],
    ['customer cus_1', 'cancel', 'cus_1 in eu', true],
    ['customer cus_1', 'read', 'cus_2 in eu', false],
    ['customer cus_1', 'cancel', 'cus_2 in eu', false],
    ['customer cus_2', 'read', 'cus_1 in eu', false],
    ['suspended customer cus_1', 'read', 'cus_1 in eu', false],
    ['suspended customer cus_1', 'cancel', 'cus_1 in eu', false],
    ['support eu', 'read', 'cus_1 in eu', true],
    ['support eu', 'read', 'cus_2 in eu', true],
    ['support eu', 'cancel', 'cus_1 in eu', false],
    ['support eu', 'read', 'cus_4 in us', false],
    ['support eu', 'read', 'cus_3 without region', false],
    ['support us', 'read', 'cus_4 in us', true],
    ['support us', 'read', 'cus_1 in eu', false],
    ['support without region', 'read', 'cus_1 in eu', false],
    ['support without region', 'read', 'cus_3 without region', false],
    ['support eu who is also customer cus_3', 'read', 'cus_3 without region', true],
    ['support eu who is also customer cus_3', 'cancel', 'cus_3 without region', true],
    ['support eu who is also customer cus_3', 'cancel', 'cus_1 in eu', false],
    ['admin', 'read', 'cus_1 in eu', true],
    ['admin', 'read', 'cus_5 without region', true],
    ['admin', 'cancel', 'cus_1 in eu', false],
    ['suspended admin', 'read', 'cus_1 in eu', false],
    ['merchandiser', 'read', 'cus_1 in eu', false],
    ['no role', 'read', 'cus_1 in eu', false],
    ['service orders:read', 'read', 'cus_1 in eu', false],
    ['service claiming admin', 'read', 'cus_1 in eu', false],
  ])('%s may %s the order of %s: %s', (who, action, which, expected) => {
    expect(can(who, action, 'Order', which)).toBe(expected);
  });

  it.each<[Who, boolean, boolean]>([
    ['customer cus_1', true, false],
    ['suspended customer cus_1', false, false],
    ['support eu', false, false],
    ['support eu who is also customer cus_3', true, false],
    ['admin', false, true],
    ['suspended admin', false, false],
    ['merchandiser', false, false],
    ['service claiming admin', false, false],
  ])('%s may place an order: %s; may read the saga inspector: %s', (who, place, inspect) => {
    expect(can(who, 'place', 'Order')).toBe(place);
    expect(can(who, 'read', 'Saga')).toBe(inspect);
  });
});

/** The scope evaluated in memory with SQL's rules: an equality on a NULL column is not a match. */
function matches(scope: OrderScope, order: OrderAccess): boolean {
  if ('field' in scope) return order[scope.field] !== null && order[scope.field] === scope.equals;
  if ('not' in scope) return !matches(scope.not, order);
  if ('or' in scope) return scope.or.some((s) => matches(s, order));
  return scope.and.every((s) => matches(s, order));
}

describe('the list filter derived from the policy (orderScopeOf)', () => {
  it.each<[Who, OrderScope | null]>([
    ['customer cus_1', { or: [{ field: 'customerId', equals: 'cus_1' }] }],
    ['support eu', { or: [{ field: 'region', equals: 'eu' }] }],
    [
      'support eu who is also customer cus_3',
      {
        or: [
          { field: 'region', equals: 'eu' },
          { field: 'customerId', equals: 'cus_3' },
        ],
      },
    ],
    ['admin', { and: [] }],
    ['support without region', null],
    ['suspended customer cus_1', null],
    ['suspended admin', null],
    ['merchandiser', null],
    ['service claiming admin', null],
  ])('%s reads %j', (who, scope) => {
    expect(orderScopeOf(ordersPolicy(P[who]), 'read')).toEqual(scope);
  });

  it('matches exactly the orders the policy lets each principal read, and cancel', () => {
    for (const who of Object.keys(P) as Who[]) {
      const ability = ordersPolicy(P[who]);
      for (const action of ['read', 'cancel'] as const) {
        const scope = orderScopeOf(ability, action);
        for (const [which, order] of Object.entries(ORDERS)) {
          expect(scope !== null && matches(scope, order), `${who} ${action} ${which}`).toBe(allowed(ability, action, 'Order', order));
        }
      }
    }
  });
});
