import { bearerTokenOf, principalFromClaims } from '@emporium/auth';
import { describe, expect, it } from 'vitest';

describe('the principal of a token', () => {
  it('keeps known roles only', () => {
    expect(principalFromClaims({ sub: 'u', client_id: 'c', roles: ['admin', 'root', 'admin', 7, 'support'] }).roles).toEqual([
      'admin',
      'support',
    ]);
  });

  it('has no roles when the claim is not a list', () => {
    expect(principalFromClaims({ sub: 'u', client_id: 'c', roles: 'admin' }).roles).toEqual([]);
  });

  it('is a customer only as a user holding the role', () => {
    expect(principalFromClaims({ sub: 'cus_1', client_id: 'storefront', roles: ['customer'] }).customerId).toBe('cus_1');
    expect(principalFromClaims({ sub: 'sup_1', client_id: 'console', roles: ['support'] }).customerId).toBeUndefined();
  });

  it.each([
    [undefined, false],
    [false, false],
    [true, true],
    ['true', true],
    ['false', true],
    [0, true],
  ])('treats suspended=%s as %s (fails closed)', (value, expected) => {
    expect(principalFromClaims({ sub: 'u', client_id: 'c', suspended: value }).suspended).toBe(expected);
  });

  it.each([
    [
      { amount: 5000, currency: 'EUR' },
      { amount: 5000, currency: 'EUR' },
    ],
    [{ amount: 50.5, currency: 'EUR' }, undefined],
    [{ amount: -1, currency: 'EUR' }, undefined],
    [{ amount: 5000, currency: 'euro' }, undefined],
    [5000, undefined],
  ])('reads refund_limit %j as %j', (value, expected) => {
    expect(principalFromClaims({ sub: 'u', client_id: 'c', refund_limit: value }).refundLimit).toEqual(expected);
  });
});

describe('the bearer token of a request', () => {
  it('is read from Authorization: Bearer', () => {
    expect(bearerTokenOf('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerTokenOf('bearer  abc.def-_.ghi')).toBe('abc.def-_.ghi');
  });

  it.each([[undefined], ['Basic dXNlcjpwYXNz'], [['Bearer a.b.c', 'Bearer d.e.f']]])(
    'is missing for %j → 401 unauthenticated',
    (header) => {
      expect(() => bearerTokenOf(header)).toThrow(expect.objectContaining({ status: 401, code: 'unauthenticated' }));
    },
  );

  it('is invalid when it is not a b64token → 401 invalid_token', () => {
    expect(() => bearerTokenOf('Bearer a b')).toThrow(expect.objectContaining({ status: 401, code: 'invalid_token' }));
    expect(() => bearerTokenOf('Bearer ')).toThrow(expect.objectContaining({ status: 401 }));
  });
});
