import { sql } from '@emporium/db';
import { uniqueName } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AS_ADMIN,
  AS_SUPPORT,
  auditOf,
  expectProblem,
  type Identity,
  logIn,
  loginRequest,
  signUp,
  startIdentity,
  withSession,
} from './support.js';

let identity: Identity;
beforeAll(async () => {
  identity = await startIdentity();
});
afterAll(async () => {
  await identity?.close();
});

const patchUser = (id: string, payload: object, headers: Record<string, string> = AS_ADMIN) =>
  identity.app.inject({ method: 'PATCH', url: `/api/identity/admin/users/${id}`, headers, payload });

describe('admin user management', () => {
  it('when someone other than an admin calls an admin route, then 401 without a role and 403 with another role', async () => {
    const alice = await signUp(identity);
    const secret = await logIn(identity, alice);
    for (const [method, url] of [
      ['GET', '/api/identity/admin/users'],
      ['GET', `/api/identity/admin/users/${alice.userId}`],
      ['PATCH', `/api/identity/admin/users/${alice.userId}`],
      ['GET', '/api/identity/admin/audit'],
    ] as const) {
      const payload = method === 'PATCH' ? { roles: ['admin'] } : undefined;
      expectProblem(await identity.app.inject({ method, url, payload, headers: withSession(secret) }), 401, 'unauthenticated');
      expectProblem(await identity.app.inject({ method, url, payload, headers: AS_SUPPORT }), 403, 'forbidden');
    }
    const { rows } = await sql<{ roles: string[] }>`SELECT roles FROM users WHERE id = ${alice.userId}`.execute(identity.ctx.db);
    expect(rows[0]!.roles).toEqual(['customer']);
  });

  it('when an admin lists users by e-mail prefix, then they come newest first, page by page', async () => {
    const prefix = uniqueName('list');
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await signUp(identity, { email: `${prefix}-${i}@example.com` }));
    await signUp(identity);
    const page1 = await identity.app.inject({
      url: `/api/identity/admin/users?emailPrefix=${prefix.toUpperCase()}&limit=2`,
      headers: AS_ADMIN,
    });
    expect(page1.statusCode).toBe(200);
    expect(page1.json().items.map((u: { id: string }) => u.id)).toEqual([made[2]!.userId, made[1]!.userId]);
    expect(page1.json().items[0]).not.toHaveProperty('passwordHash');
    const page2 = await identity.app.inject({
      url: `/api/identity/admin/users?emailPrefix=${prefix}&limit=2&cursor=${page1.json().nextCursor}`,
      headers: AS_ADMIN,
    });
    expect(page2.json()).toEqual({ items: [expect.objectContaining({ id: made[0]!.userId })], nextCursor: null });
    expectProblem(await identity.app.inject({ url: '/api/identity/admin/users?cursor=bogus', headers: AS_ADMIN }), 400, 'invalid_cursor');
  });

  it('when an admin changes roles and attributes, then each change is one audit entry and the user reads back changed', async () => {
    const alice = await signUp(identity);
    const res = await patchUser(alice.userId, {
      roles: ['support', 'customer'],
      region: 'eu',
      refundLimit: { amount: 50_00, currency: 'EUR' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const read = await identity.app.inject({ url: `/api/identity/admin/users/${alice.userId}`, headers: AS_ADMIN });
    expect(read.json()).toMatchObject({
      roles: ['customer', 'support'],
      region: 'eu',
      refundLimit: { amount: 5000, currency: 'EUR' },
      suspended: false,
    });
    const entries = (await auditOf(identity, { userId: alice.userId })).filter((e) => e.action.startsWith('user.'));
    // One transaction, one time: the entries of one request share `at`, so their order is not asserted.
    expect(entries).toHaveLength(3);
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'user.roles_changed',
          actor: 'system',
          details: { from: ['customer'], to: ['customer', 'support'], via: 'role-header' },
        }),
        expect.objectContaining({ action: 'user.region_changed', details: { from: null, to: 'eu', via: 'role-header' } }),
        expect.objectContaining({
          action: 'user.refund_limit_changed',
          details: { from: null, to: { amount: 5000, currency: 'EUR' }, via: 'role-header' },
        }),
      ]),
    );
    // The same values again change nothing and record nothing.
    await patchUser(alice.userId, { roles: ['customer', 'support'], region: 'eu' });
    expect((await auditOf(identity, { userId: alice.userId })).filter((e) => e.action.startsWith('user.'))).toHaveLength(3);
  });

  it('when the patch is empty, sets a password or e-mail, or names an unknown user, then it is refused and nothing is recorded', async () => {
    const alice = await signUp(identity);
    expectProblem(await patchUser(alice.userId, {}), 400, 'empty_patch');
    expectProblem(await patchUser(alice.userId, { passwordHash: '$argon2id$x' }), 400, 'validation_failed');
    expectProblem(await patchUser(alice.userId, { email: 'mallory@example.com' }), 400, 'validation_failed');
    expectProblem(await patchUser(alice.userId, { roles: ['root'] }), 400, 'validation_failed');
    const ghost = crypto.randomUUID();
    expectProblem(await patchUser(ghost, { suspended: true }), 404, 'user_not_found');
    expect(await auditOf(identity, { userId: ghost })).toEqual([]);
    expect((await auditOf(identity, { userId: alice.userId })).map((e) => e.action)).toEqual(['account.signed_up']);
  });

  it('when an admin reads the audit log, then it is newest first and can be filtered by user and action', async () => {
    const alice = await signUp(identity);
    await logIn(identity, alice);
    await patchUser(alice.userId, { region: 'us-east' });
    const res = await identity.app.inject({ url: `/api/identity/admin/audit?subjectUserId=${alice.userId}`, headers: AS_ADMIN });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((e: { action: string }) => e.action)).toEqual([
      'user.region_changed',
      'login.succeeded',
      'account.signed_up',
    ]);
    const only = await identity.app.inject({
      url: `/api/identity/admin/audit?subjectUserId=${alice.userId}&action=login.succeeded`,
      headers: AS_ADMIN,
    });
    expect(only.json().items).toHaveLength(1);
  });
});

describe('account activity', () => {
  it('when a user reads their activity, then they see their own logins, failures and session changes, newest first, and nobody else’s', async () => {
    const alice = await signUp(identity);
    const bob = await signUp(identity);
    await loginRequest(identity, alice.email, 'not-alices-password');
    const secret = await logIn(identity, alice);
    await logIn(identity, bob);
    await patchUser(alice.userId, { region: 'eu' }); // an admin decision: in the admin log, not in her activity

    const page1 = await identity.app.inject({ url: '/api/identity/activity?limit=2', headers: withSession(secret) });
    expect(page1.statusCode).toBe(200);
    expect(page1.json().items.map((e: { action: string }) => e.action)).toEqual(['login.succeeded', 'login.failed']);
    const page2 = await identity.app.inject({
      url: `/api/identity/activity?limit=2&cursor=${page1.json().nextCursor}`,
      headers: withSession(secret),
    });
    expect(page2.json()).toMatchObject({ items: [{ action: 'account.signed_up' }], nextCursor: null });
    const all = [...page1.json().items, ...page2.json().items];
    expect(all.every((e: { subjectUserId: string }) => e.subjectUserId === alice.userId)).toBe(true);
    expectProblem(await identity.app.inject({ url: '/api/identity/activity' }), 401, 'unauthenticated');
  });
});
