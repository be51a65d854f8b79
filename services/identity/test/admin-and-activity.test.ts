import { sql } from '@emporium/db';
import { bearerFor, uniqueName } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anAdmin,
  auditOf,
  aUser,
  expectProblem,
  type Identity,
  logIn,
  loginRequest,
  signUp,
  startIdentity,
  withSession,
} from './support.js';

let identity: Identity;
let admin: Awaited<ReturnType<typeof anAdmin>>;
beforeAll(async () => {
  identity = await startIdentity();
  admin = await anAdmin(identity);
});
afterAll(async () => {
  await identity?.close();
});

const patchUser = (id: string, payload: object, headers: Record<string, string> = admin.headers) =>
  identity.app.inject({ method: 'PATCH', url: `/api/identity/admin/users/${id}`, headers, payload });
const rolesOf = async (userId: string) =>
  (await sql<{ roles: string[] }>`SELECT roles FROM users WHERE id = ${userId}`.execute(identity.ctx.db)).rows[0]!.roles;

const adminRoutes = (userId: string) =>
  [
    ['GET', '/api/identity/admin/users'],
    ['GET', `/api/identity/admin/users/${userId}`],
    ['PATCH', `/api/identity/admin/users/${userId}`],
    ['GET', '/api/identity/admin/audit'],
  ] as const;

describe('admin routes: who may call them', () => {
  it('when the caller has no token or only a session → 401; a customer, support, merchandiser or service token → 403; nothing changes', async () => {
    const alice = await signUp(identity);
    const secret = await logIn(identity, alice);
    const customer = await aUser(identity, ['customer']);
    const support = await aUser(identity, ['support'], { region: 'eu' });
    const merchandiser = await aUser(identity, ['merchandiser']);
    const service = await bearerFor(identity.name, { service: 'orders', scopes: ['identity:admin'] });
    for (const [method, url] of adminRoutes(alice.userId)) {
      const payload = method === 'PATCH' ? { roles: ['admin'] } : undefined;
      const call = (headers: Record<string, string>) => identity.app.inject({ method, url, payload, headers });
      expectProblem(await call({}), 401, 'unauthenticated');
      expectProblem(await call(withSession(secret)), 401, 'unauthenticated');
      for (const caller of [customer.headers, support.headers, merchandiser.headers, service])
        expectProblem(await call(caller), 403, 'forbidden');
    }
    expect(await rolesOf(alice.userId)).toEqual(['customer']);
    expect((await auditOf(identity, { userId: alice.userId })).filter((e) => e.action.startsWith('user.'))).toEqual([]);
  });

  it('when the token says admin but our table no longer does, or the admin is suspended (token or table), then 403', async () => {
    const alice = await signUp(identity);
    // Demoted a moment ago: the token (valid for minutes) still says admin; the table decides.
    const demoted = await aUser(identity, ['customer'], { token: { roles: ['admin'] } });
    const suspendedInToken = await aUser(identity, ['admin'], { token: { suspended: true } });
    const suspendedInTable = await anAdmin(identity);
    await sql`UPDATE users SET suspended = true WHERE id = ${suspendedInTable.userId}`.execute(identity.ctx.db);
    for (const caller of [demoted, suspendedInToken, suspendedInTable]) {
      expectProblem(await patchUser(alice.userId, { roles: ['admin'] }, caller.headers), 403, 'forbidden');
      expectProblem(await identity.app.inject({ url: '/api/identity/admin/audit', headers: caller.headers }), 403, 'forbidden');
    }
    expect(await rolesOf(alice.userId)).toEqual(['customer']);
  });

  it('when a token names no account of ours or comes from another issuer, then 401', async () => {
    const stranger = await bearerFor(identity.name, { roles: ['admin'], sub: crypto.randomUUID() });
    expectProblem(await identity.app.inject({ url: '/api/identity/admin/users', headers: stranger }), 401, 'unauthenticated');
    const forOrders = await bearerFor('orders', { roles: ['admin'], sub: admin.userId });
    expectProblem(await identity.app.inject({ url: '/api/identity/admin/users', headers: forOrders }), 401, 'invalid_token');
  });
});

describe('admin user management', () => {
  it('when an admin lists users by e-mail prefix, then they come newest first, page by page', async () => {
    const prefix = uniqueName('list');
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await signUp(identity, { email: `${prefix}-${i}@example.com` }));
    await signUp(identity);
    const page1 = await identity.app.inject({
      url: `/api/identity/admin/users?emailPrefix=${prefix.toUpperCase()}&limit=2`,
      headers: admin.headers,
    });
    expect(page1.statusCode).toBe(200);
    expect(page1.json().items.map((u: { id: string }) => u.id)).toEqual([made[2]!.userId, made[1]!.userId]);
    expect(page1.json().items[0]).not.toHaveProperty('passwordHash');
    const page2 = await identity.app.inject({
      url: `/api/identity/admin/users?emailPrefix=${prefix}&limit=2&cursor=${page1.json().nextCursor}`,
      headers: admin.headers,
    });
    expect(page2.json()).toEqual({ items: [expect.objectContaining({ id: made[0]!.userId })], nextCursor: null });
    expectProblem(
      await identity.app.inject({ url: '/api/identity/admin/users?cursor=bogus', headers: admin.headers }),
      400,
      'invalid_cursor',
    );
  });

  it('when an admin changes roles, region, refund limit and suspension, then each is one audit entry naming the admin, with before and after', async () => {
    const alice = await signUp(identity);
    const res = await patchUser(alice.userId, {
      roles: ['support', 'customer'],
      region: 'eu',
      refundLimit: { amount: 50_00, currency: 'EUR' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const read = await identity.app.inject({ url: `/api/identity/admin/users/${alice.userId}`, headers: admin.headers });
    expect(read.json()).toMatchObject({
      roles: ['customer', 'support'],
      region: 'eu',
      refundLimit: { amount: 5000, currency: 'EUR' },
      suspended: false,
    });
    expect((await patchUser(alice.userId, { suspended: true })).statusCode).toBe(200);
    expect((await patchUser(alice.userId, { suspended: false })).statusCode).toBe(200);

    const entries = (await auditOf(identity, { userId: alice.userId })).filter((e) => e.action.startsWith('user.'));
    const byAdmin = { actor: admin.userId, ip: expect.any(String) };
    const via = { via: 'access_token', clientId: 'admin-console', tokenId: expect.any(String) };
    // One transaction, one time: the entries of one request share `at`, so their order is not asserted.
    expect(entries).toHaveLength(5);
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          ...byAdmin,
          action: 'user.roles_changed',
          details: { from: ['customer'], to: ['customer', 'support'], ...via },
        }),
        expect.objectContaining({ ...byAdmin, action: 'user.region_changed', details: { from: null, to: 'eu', ...via } }),
        expect.objectContaining({
          ...byAdmin,
          action: 'user.refund_limit_changed',
          details: { from: null, to: { amount: 5000, currency: 'EUR' }, ...via },
        }),
        expect.objectContaining({
          ...byAdmin,
          action: 'user.suspended',
          details: { from: false, to: true, revokedSessions: 0, grantsRevoked: 0, ...via },
        }),
        expect.objectContaining({ ...byAdmin, action: 'user.reinstated', details: { from: true, to: false, ...via } }),
      ]),
    );
    expect(JSON.stringify(entries)).not.toMatch(/system|role-header/);
    // The same values again change nothing and record nothing.
    await patchUser(alice.userId, { roles: ['customer', 'support'], region: 'eu' });
    expect((await auditOf(identity, { userId: alice.userId })).filter((e) => e.action.startsWith('user.'))).toHaveLength(5);
  });

  it('when the patch is empty, carries unknown or forbidden fields, or names an unknown user, then it is refused and nothing is recorded', async () => {
    const alice = await signUp(identity);
    expectProblem(await patchUser(alice.userId, {}), 400, 'empty_patch');
    for (const massAssignment of [
      { passwordHash: '$argon2id$x' },
      { email: 'mallory@example.com' },
      { role: 'admin' },
      { roles: ['root'] },
      { status: 'active' },
      { total: 0 },
      { customerId: crypto.randomUUID() },
      { region: 'eu', id: crypto.randomUUID() },
    ])
      expectProblem(await patchUser(alice.userId, massAssignment), 400, 'validation_failed');
    const ghost = crypto.randomUUID();
    expectProblem(await patchUser(ghost, { suspended: true }), 404, 'user_not_found');
    expect(await auditOf(identity, { userId: ghost })).toEqual([]);
    expect((await auditOf(identity, { userId: alice.userId })).map((e) => e.action)).toEqual(['account.signed_up']);
  });

  it('when an admin tries to change their own roles, refund limit or suspension, then 403: that is another admin’s decision', async () => {
    const self = await anAdmin(identity);
    for (const patch of [
      { roles: ['admin', 'support'] },
      { refundLimit: { amount: 1_000_000_00, currency: 'EUR' } },
      { suspended: false },
      { region: 'eu' },
    ])
      expectProblem(await patchUser(self.userId, patch, self.headers), 403, 'forbidden');
    expect(await rolesOf(self.userId)).toEqual(['admin']);
    expect((await auditOf(identity, { userId: self.userId })).filter((e) => e.action.startsWith('user.'))).toEqual([]);
    // Another admin may.
    expect((await patchUser(self.userId, { region: 'eu' })).statusCode).toBe(200);
  });

  it('when an admin reads the audit log, then it is newest first, in plain words, and can be filtered by user and action', async () => {
    const alice = await signUp(identity);
    await logIn(identity, alice);
    await patchUser(alice.userId, { region: 'us-east' });
    const res = await identity.app.inject({ url: `/api/identity/admin/audit?subjectUserId=${alice.userId}`, headers: admin.headers });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((e: { action: string; summary: string }) => [e.action, e.summary])).toEqual([
      ['user.region_changed', 'Region changed from none to us-east'],
      ['login.succeeded', 'Signed in with your password'],
      ['account.signed_up', 'Account created'],
    ]);
    expect(res.json().items[0].actor).toBe(admin.userId);
    const only = await identity.app.inject({
      url: `/api/identity/admin/audit?subjectUserId=${alice.userId}&action=login.succeeded`,
      headers: admin.headers,
    });
    expect(only.json().items).toHaveLength(1);
  });
});

describe('account activity', () => {
  it('when a user reads their activity, then they see their own sign-ins, failures and changes in plain words, newest first, and nobody else’s', async () => {
    const alice = await signUp(identity);
    const bob = await signUp(identity);
    await loginRequest(identity, alice.email, 'not-alices-password');
    const secret = await logIn(identity, alice);
    await logIn(identity, bob);
    await patchUser(alice.userId, { region: 'eu' }); // an admin decision: in the admin log, not in her activity

    const page1 = await identity.app.inject({ url: '/api/identity/activity?limit=2', headers: withSession(secret) });
    expect(page1.statusCode).toBe(200);
    expect(page1.json().items.map((e: { action: string; summary: string }) => [e.action, e.summary])).toEqual([
      ['login.succeeded', 'Signed in with your password'],
      ['login.failed', 'Failed sign-in: wrong password'],
    ]);
    const page2 = await identity.app.inject({
      url: `/api/identity/activity?limit=2&cursor=${page1.json().nextCursor}`,
      headers: withSession(secret),
    });
    expect(page2.json()).toMatchObject({ items: [{ action: 'account.signed_up', summary: 'Account created' }], nextCursor: null });
    const all = [...page1.json().items, ...page2.json().items];
    expect(all.every((e: { subjectUserId: string }) => e.subjectUserId === alice.userId)).toBe(true);
    expectProblem(await identity.app.inject({ url: '/api/identity/activity' }), 401, 'unauthenticated');
  });

  it('when a user reads their activity with an access token, then it is theirs; a service token gets 403', async () => {
    const carol = await aUser(identity, ['customer']);
    await loginRequest(identity, carol.email, 'not-carols-password');
    const res = await identity.app.inject({ url: '/api/identity/activity', headers: carol.headers });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().items.map((e: { action: string }) => e.action)).toEqual(['login.failed', 'account.signed_up']);
    const service = await bearerFor(identity.name, { service: 'orders' });
    expectProblem(await identity.app.inject({ url: '/api/identity/activity', headers: service }), 403, 'forbidden');
  });
});
