import { AppError } from '@emporium/errors';
import { allowed, AuthError, authorize, authorizeVisible, type Principal, principalFromClaims, requireScope } from '@emporium/auth';
import { describe, expect, it } from 'vitest';
import { ordersPolicy } from './orders-policy.js';

const principal = (claims: Record<string, unknown>): Principal =>
  principalFromClaims({ sub: 'usr_1', client_id: 'admin-console', ...claims });

const customer = principal({ sub: 'cus_1', client_id: 'storefront', roles: ['customer'] });
const supportEu = principal({ sub: 'sup_1', roles: ['support'], region: 'eu' });
const supportNoRegion = principal({ sub: 'sup_2', roles: ['support'] });
const admin = principal({ sub: 'adm_1', roles: ['admin'], refund_limit: { amount: 50_00, currency: 'EUR' } });
const adminNoLimit = principal({ sub: 'adm_2', roles: ['admin'] });
const suspendedAdmin = principal({ sub: 'adm_3', roles: ['admin'], refund_limit: { amount: 50_00, currency: 'EUR' }, suspended: true });
const suspendedCustomer = principal({ sub: 'cus_9', client_id: 'storefront', roles: ['customer'], suspended: true });
const unknownRole = principal({ sub: 'usr_7', roles: ['superuser', 'root'] });
const merchandiser = principal({ sub: 'mer_1', roles: ['merchandiser'] });

const ownOrder = { id: 'ord_1', customerId: 'cus_1', region: 'eu' };
const othersOrder = { id: 'ord_2', customerId: 'cus_2', region: 'eu' };
const usOrder = { id: 'ord_3', customerId: 'cus_3', region: 'us' };
const refund = (amount: number, currency = 'EUR') => ({ orderId: 'ord_1', amount, currency });

const table: Array<[string, Principal, 'read' | 'cancel' | 'refund', 'Order' | 'Refund', object, boolean]> = [
  ['customer reads own order', customer, 'read', 'Order', ownOrder, true],
  ['customer cancels own order', customer, 'cancel', 'Order', ownOrder, true],
  ["customer reads another's order", customer, 'read', 'Order', othersOrder, false],
  ["customer cancels another's order", customer, 'cancel', 'Order', othersOrder, false],
  ['customer refunds own order', customer, 'refund', 'Refund', refund(1), false],
  ['support reads an order of own region', supportEu, 'read', 'Order', ownOrder, true],
  ['support reads an order of another region', supportEu, 'read', 'Order', usOrder, false],
  ['support cancels an order of own region', supportEu, 'cancel', 'Order', ownOrder, false],
  ['support without a region reads an order without a region', supportNoRegion, 'read', 'Order', { id: 'o', customerId: 'c' }, false],
  ['admin refunds at the limit', admin, 'refund', 'Refund', refund(50_00), true],
  ['admin refunds over the limit', admin, 'refund', 'Refund', refund(50_01), false],
  ['admin refunds in another currency', admin, 'refund', 'Refund', refund(1, 'USD'), false],
  ['admin without a refund limit refunds', adminNoLimit, 'refund', 'Refund', refund(1), false],
  ['admin reads any order', admin, 'read', 'Order', usOrder, true],
  ['suspended admin reads an order', suspendedAdmin, 'read', 'Order', usOrder, false],
  ['suspended admin refunds within the limit', suspendedAdmin, 'refund', 'Refund', refund(1), false],
  ['suspended customer reads own order', suspendedCustomer, 'read', 'Order', { ...ownOrder, customerId: 'cus_9' }, false],
  ['unknown role reads an order', unknownRole, 'read', 'Order', ownOrder, false],
  ['merchandiser reads an order (nothing granted in orders)', merchandiser, 'read', 'Order', ownOrder, false],
];

describe('the orders policy', () => {
  it.each(table.map(([name, who, action, type, resource, expected]) => ({ name, who, action, type, resource, expected })))(
    '$name → $expected',
    ({ who, action, type, resource, expected }) => {
      expect(allowed(ordersPolicy(who), action, type, resource)).toBe(expected);
    },
  );
});

describe('authorize', () => {
  it('throws 403 forbidden when denied', () => {
    const error = (() => {
      try {
        authorize(ordersPolicy(admin), 'refund', 'Refund', refund(50_01));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(AuthError);
    expect({ status: (error as AuthError).status, code: (error as AuthError).code }).toEqual({ status: 403, code: 'forbidden' });
  });

  it('lets an allowed action through', () => {
    expect(() => authorize(ordersPolicy(customer), 'cancel', 'Order', ownOrder)).not.toThrow();
  });

  it('does not tag or change the resource it checks', () => {
    const order = { ...ownOrder };
    authorize(ordersPolicy(customer), 'read', 'Order', order);
    expect(Object.getOwnPropertyNames(order)).toEqual(['id', 'customerId', 'region']);
  });
});

describe('authorizeVisible (no existence leak)', () => {
  const notFound = () => new AppError('order_not_found', 'No such order', 404);
  const codeOf = (fn: () => void) => {
    try {
      fn();
      return 'allowed';
    } catch (e) {
      return `${(e as AppError).status} ${(e as AppError).code}`;
    }
  };

  it("answers 404 for another customer's order, like for an order that does not exist", () => {
    expect(codeOf(() => authorizeVisible(ordersPolicy(customer), 'cancel', 'Order', othersOrder, notFound))).toBe('404 order_not_found');
  });

  it('answers 403 for an action on an order the caller can see', () => {
    expect(codeOf(() => authorizeVisible(ordersPolicy(supportEu), 'cancel', 'Order', ownOrder, notFound))).toBe('403 forbidden');
  });

  it('lets the owner through', () => {
    expect(codeOf(() => authorizeVisible(ordersPolicy(customer), 'cancel', 'Order', ownOrder, notFound))).toBe('allowed');
  });
});

describe('requireScope (service to service)', () => {
  const orders = principalFromClaims({ sub: 'orders', client_id: 'orders', scope: 'payments:capture' });

  it('lets a service with the scope through', () => {
    expect(() => requireScope(orders, 'payments:capture')).not.toThrow();
  });

  it('answers 403 insufficient_scope naming the scope otherwise', () => {
    try {
      requireScope(orders, 'payments:refund');
      expect.unreachable();
    } catch (e) {
      expect({ status: (e as AuthError).status, code: (e as AuthError).code }).toEqual({ status: 403, code: 'insufficient_scope' });
      expect((e as AuthError).headers['www-authenticate']).toContain('scope="payments:refund"');
    }
  });
});
