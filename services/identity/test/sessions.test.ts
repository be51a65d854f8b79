import { sql } from '@emporium/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerFor } from '@emporium/testing';
import {
  anAdmin,
  aPassword,
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
let admin: { headers: Record<string, string> };
beforeAll(async () => {
  identity = await startIdentity();
  admin = await anAdmin(identity);
});
afterAll(async () => {
  await identity?.close();
});

const sessionsOf = (secret: string) => identity.app.inject({ url: '/api/identity/sessions', headers: withSession(secret) });
const changePassword = (secret: string, current: string, next: string) =>
  identity.app.inject({ method: 'POST', url: '/api/identity/password', headers: withSession(secret), payload: { current, new: next } });

describe('sessions', () => {
  it('when a user lists sessions, then they see only their own live ones, with the current one marked', async () => {
    const alice = await signUp(identity);
    const bob = await signUp(identity);
    const a1 = await logIn(identity, alice);
    const a2 = await logIn(identity, alice);
    await logIn(identity, bob);
    const res = await sessionsOf(a2);
    expect(res.statusCode).toBe(200);
    const items = res.json().items;
    expect(items).toHaveLength(2);
    expect(items.map((s: { current: boolean }) => s.current)).toEqual([true, false]);
    expect(JSON.stringify(items)).not.toContain(a1);
  });

  it('when a user ends one of their sessions, then it stops working; another user’s session id gives 404 and stays alive', async () => {
    const alice = await signUp(identity);
    const bob = await signUp(identity);
    const aliceKeeps = await logIn(identity, alice);
    const aliceEnds = await logIn(identity, alice);
    const bobs = await logIn(identity, bob);
    const [endId, bobId] = [(await sessionsOf(aliceEnds)).json().items[0].id, (await sessionsOf(bobs)).json().items[0].id];

    expectProblem(
      await identity.app.inject({ method: 'DELETE', url: `/api/identity/sessions/${bobId}`, headers: withSession(aliceKeeps) }),
      404,
      'session_not_found',
    );
    expect((await sessionsOf(bobs)).statusCode).toBe(200);

    const res = await identity.app.inject({ method: 'DELETE', url: `/api/identity/sessions/${endId}`, headers: withSession(aliceKeeps) });
    expect(res.statusCode).toBe(204);
    expectProblem(await sessionsOf(aliceEnds), 401, 'unauthenticated');
    expect((await sessionsOf(aliceKeeps)).json().items).toHaveLength(1);
    expect((await auditOf(identity, { userId: alice.userId })).at(-1)).toMatchObject({
      action: 'session.revoked',
      details: { sessionId: endId, reason: 'revoked_by_user' },
    });
  });

  it('when a session id is ended by someone else — another customer, support of any region, anonymous — then 404 or 401 and it stays alive', async () => {
    const owner = await aUser(identity, ['customer']);
    const secret = await logIn(identity, owner);
    const id = (await sessionsOf(secret)).json().items[0].id;
    const other = await aUser(identity, ['customer']);
    const otherSecret = await logIn(identity, other);
    const supportHere = await aUser(identity, ['support'], { region: 'eu' });
    const supportThere = await aUser(identity, ['support'], { region: 'us' });
    const end = (headers: Record<string, string>) =>
      identity.app.inject({ method: 'DELETE', url: `/api/identity/sessions/${id}`, headers });
    for (const headers of [other.headers, withSession(otherSecret), supportHere.headers, supportThere.headers, admin.headers])
      expectProblem(await end(headers), 404, 'session_not_found');
    expectProblem(await end({}), 401, 'unauthenticated');
    expectProblem(await end(await bearerFor(identity.name, { service: 'orders' })), 403, 'forbidden');
    expect((await sessionsOf(secret)).statusCode).toBe(200);
    // The owner may, with their session or their access token.
    expect((await end(owner.headers)).statusCode).toBe(204);
    expectProblem(await sessionsOf(secret), 401, 'unauthenticated');
  });

  it('when a user lists their sessions with an access token, then they are theirs, none marked current', async () => {
    const carol = await aUser(identity, ['customer']);
    await logIn(identity, carol);
    await logIn(identity, carol);
    await logIn(identity, await signUp(identity));
    const res = await identity.app.inject({ url: '/api/identity/sessions', headers: carol.headers });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().items).toHaveLength(2);
    expect(res.json().items.map((s: { current: boolean; singleSignOn: boolean }) => [s.current, s.singleSignOn])).toEqual([
      [false, false],
      [false, false],
    ]);
  });

  it('when a user revokes all sessions, then every one of them ends, the current one included', async () => {
    const alice = await signUp(identity);
    const secrets = [await logIn(identity, alice), await logIn(identity, alice), await logIn(identity, alice)];
    const res = await identity.app.inject({ method: 'POST', url: '/api/identity/sessions/revoke-all', headers: withSession(secrets[0]!) });
    expect(res.json()).toEqual({ revoked: 3 });
    for (const s of secrets) expectProblem(await sessionsOf(s), 401, 'unauthenticated');
    const activity = (await auditOf(identity, { userId: alice.userId })).at(-1);
    expect(activity).toMatchObject({ action: 'sessions.revoked_all', actor: alice.userId, details: { revokedSessions: 3 } });
  });

  it('when a user ends their current session, then that is a logout, audited and shown in plain words', async () => {
    const alice = await signUp(identity);
    const keeps = await logIn(identity, alice);
    const leaves = await logIn(identity, alice);
    const current = (await sessionsOf(leaves)).json().items.find((s: { current: boolean }) => s.current).id;
    const res = await identity.app.inject({ method: 'DELETE', url: `/api/identity/sessions/${current}`, headers: withSession(leaves) });
    expect(res.statusCode).toBe(204);
    const activity = await identity.app.inject({ url: '/api/identity/activity?limit=1', headers: withSession(keeps) });
    expect(activity.json().items[0]).toMatchObject({
      action: 'session.revoked',
      actor: alice.userId,
      summary: 'Signed out',
      details: { sessionId: current, reason: 'logout' },
    });
  });
});

describe('password change', () => {
  it('when the password is changed, then every other session ends, this one stays, and only the new password logs in', async () => {
    const alice = await signUp(identity);
    const other = await logIn(identity, alice);
    const current = await logIn(identity, alice);
    const next = aPassword();
    const res = await changePassword(current, alice.password, next);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ revokedSessions: 1 });
    expectProblem(await sessionsOf(other), 401, 'unauthenticated');
    expect((await sessionsOf(current)).statusCode).toBe(200);
    expectProblem(await loginRequest(identity, alice.email, alice.password), 401, 'invalid_credentials');
    expect((await loginRequest(identity, alice.email, next)).statusCode).toBe(200);
    const changed = (await auditOf(identity, { userId: alice.userId })).find((e) => e.action === 'password.changed');
    expect(changed).toMatchObject({ actor: alice.userId, details: { revokedSessions: 1 } });
    expect(JSON.stringify(changed)).not.toContain(next);
  });

  it('when the password is changed with an access token, then every session ends (the token names none of ours to keep)', async () => {
    const carol = await aUser(identity, ['customer']);
    const one = await logIn(identity, carol);
    const two = await logIn(identity, carol);
    const next = aPassword();
    const res = await identity.app.inject({
      method: 'POST',
      url: '/api/identity/password',
      headers: carol.headers,
      payload: { current: carol.password, new: next },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ revokedSessions: 2 });
    for (const s of [one, two]) expectProblem(await sessionsOf(s), 401, 'unauthenticated');
    expect((await auditOf(identity, { userId: carol.userId })).at(-1)).toMatchObject({
      action: 'password.changed',
      actor: carol.userId,
      details: { revokedSessions: 2, keptSessionId: null, via: 'access_token' },
    });
    expect((await loginRequest(identity, carol.email, next)).statusCode).toBe(200);
  });

  it('when the current password is wrong, then 403 and nothing changes; a weak new one → 422; no session → 401', async () => {
    const alice = await signUp(identity);
    const secret = await logIn(identity, alice);
    const other = await logIn(identity, alice);
    expectProblem(await changePassword(secret, `${alice.password}x`, aPassword()), 403, 'current_password_invalid');
    expectProblem(await changePassword(secret, alice.password, 'password1234'), 422, 'weak_password');
    expectProblem(await changePassword(secret, alice.password, alice.password), 422, 'weak_password');
    expectProblem(
      await identity.app.inject({ method: 'POST', url: '/api/identity/password', payload: { current: alice.password, new: aPassword() } }),
      401,
      'unauthenticated',
    );
    expect((await sessionsOf(other)).statusCode).toBe(200);
    expect((await loginRequest(identity, alice.email, alice.password)).statusCode).toBe(200);
    expect((await auditOf(identity, { userId: alice.userId })).map((e) => e.action)).toContain('password.change_failed');
  });
});

describe('suspension', () => {
  it('when an admin suspends a user, then their sessions end at once and the right password gets 403 account_suspended', async () => {
    const alice = await signUp(identity);
    const secret = await logIn(identity, alice);
    const res = await identity.app.inject({
      method: 'PATCH',
      url: `/api/identity/admin/users/${alice.userId}`,
      headers: admin.headers,
      payload: { suspended: true },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().suspended).toBe(true);
    expectProblem(await sessionsOf(secret), 401, 'unauthenticated');
    const { rows } = await sql<{ reason: string }>`SELECT revoked_reason AS reason FROM sessions WHERE user_id = ${alice.userId}`.execute(
      identity.ctx.db,
    );
    expect(rows).toEqual([{ reason: 'suspended' }]);
    expectProblem(await loginRequest(identity, alice.email, alice.password), 403, 'account_suspended');
    // A wrong password still gets the plain 401: suspension is not disclosed to a guesser.
    expectProblem(await loginRequest(identity, alice.email, `${alice.password}x`), 401, 'invalid_credentials');
    const actions = (await auditOf(identity, { userId: alice.userId })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['user.suspended', 'login.refused_suspended']));

    await identity.app.inject({
      method: 'PATCH',
      url: `/api/identity/admin/users/${alice.userId}`,
      headers: admin.headers,
      payload: { suspended: false },
    });
    expect((await loginRequest(identity, alice.email, alice.password)).statusCode).toBe(200);
  });
});
