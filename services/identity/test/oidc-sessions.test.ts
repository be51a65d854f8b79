import { sql } from '@emporium/db';
import { type StandIn, startStandIn, waitFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, authorizationCode, Browser, pkcePair, STOREFRONT, startIdentityWithOidc, tokenRequest } from './oidc-support.js';
import { type Account, aPassword, auditOf, expectProblem, type Identity, logIn, signUp, withSession, withToken } from './support.js';

/**
 * Sessions end everywhere: a login through the OpenID provider opens one of our sessions tied to
 * the provider's; ending ours (one, all, a password change, a suspension) ends the provider's with
 * the refresh tokens of its apps, and the provider's logout ends ours. Here identity trusts its
 * own provider's access tokens (aud identity), as in the whole system.
 */
let identity: Identity & { issuer: string };
let backchannel: StandIn;
beforeAll(async () => {
  backchannel = await startStandIn();
  backchannel.answer({ status: 200 });
  identity = await startIdentityWithOidc({}, { trustOwnIssuer: true, backchannelLogoutUri: `${backchannel.url}/backchannel-logout` });
});
afterAll(async () => {
  await identity?.close();
  await backchannel?.close();
});

const forIdentity = { clientId: STOREFRONT.id, redirectUri: STOREFRONT.redirect, resource: 'urn:emporium:identity' };

/** A browser signed in at the storefront: its tokens (access token for identity) and the browser, cookies and all. */
async function signedIn(account: Account, browser = new Browser()) {
  const { verifier, challenge } = pkcePair();
  const { code, askedForPassword } = await authorizationCode(browser, identity.issuer, account, { ...forIdentity, challenge });
  const tokens = await tokenRequest(
    identity.issuer,
    { grant_type: 'authorization_code', code, redirect_uri: STOREFRONT.redirect, code_verifier: verifier },
    { id: STOREFRONT.id },
  );
  expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
  return { browser, askedForPassword, accessToken: tokens.body.access_token as string, refreshToken: tokens.body.refresh_token as string };
}

const refresh = (refreshToken: string) =>
  tokenRequest(identity.issuer, { grant_type: 'refresh_token', refresh_token: refreshToken }, { id: STOREFRONT.id });

/** Whether this browser's provider session still signs it in silently (false: the login page is shown). */
async function signsInSilently(browser: Browser, account: Account): Promise<boolean> {
  const { askedForPassword } = await authorizationCode(browser, identity.issuer, account, {
    ...forIdentity,
    challenge: pkcePair().challenge,
  });
  return !askedForPassword;
}

const sessionsWith = (headers: Record<string, string>) => identity.app.inject({ url: '/api/identity/sessions', headers });

async function providerSessionUids(userId: string): Promise<string[]> {
  const { rows } = await sql<{ uid: string }>`
    SELECT uid FROM oidc_payloads WHERE kind = 'Session' AND payload->>'accountId' = ${userId} ORDER BY uid`.execute(identity.ctx.db);
  return rows.map((r) => r.uid);
}

const logoutTokensFor = (userId: string) =>
  backchannel.seen
    .filter((r) => r.method === 'POST' && r.url === '/backchannel-logout')
    .map((r) => new URLSearchParams(r.body).get('logout_token') ?? '')
    .map((jwt) => JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as Record<string, any>)
    .filter((claims) => claims.sub === userId);

describe('a login through the OpenID provider', () => {
  it('when a user signs in at the storefront, then their session list shows a single sign-on session tied to the provider’s, and the sign-in is in their activity', async () => {
    const ada = await signUp(identity);
    const { accessToken } = await signedIn(ada);
    const res = await sessionsWith(withToken(accessToken));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().items).toEqual([expect.objectContaining({ singleSignOn: true, current: false })]);
    const { rows } = await sql<{ oidc_session_uid: string }>`
      SELECT oidc_session_uid FROM sessions WHERE user_id = ${ada.userId}`.execute(identity.ctx.db);
    expect(rows.map((r) => r.oidc_session_uid)).toEqual(await providerSessionUids(ada.userId));
    const activity = await identity.app.inject({ url: '/api/identity/activity?limit=1', headers: withToken(accessToken) });
    expect(activity.json().items[0]).toMatchObject({
      action: 'login.succeeded',
      summary: 'Signed in with your password to storefront',
      details: { via: 'oidc', clientId: STOREFRONT.id },
    });
  });
});

describe('ending sessions ends them everywhere', () => {
  it('when the user ends one single sign-on session, then its refresh token fails, its browser must sign in again, its app is told, and another browser lives on', async () => {
    const ada = await signUp(identity);
    const ended = await signedIn(ada);
    const lives = await signedIn(ada);
    const [first, second] = (await sessionsWith(withToken(lives.accessToken))).json().items as { id: string }[];
    // Newest first: the first browser's session is the second in the list.
    const id = second!.id;
    expect(first!.id).not.toBe(id);

    const res = await identity.app.inject({ method: 'DELETE', url: `/api/identity/sessions/${id}`, headers: withToken(lives.accessToken) });
    expect(res.statusCode, res.body).toBe(204);

    expect((await auditOf(identity, { userId: ada.userId })).at(-1)).toMatchObject({
      action: 'session.revoked',
      actor: ada.userId,
      details: { sessionId: id, reason: 'revoked_by_user', singleSignOnEnded: true, grantsRevoked: 1, via: 'access_token' },
    });
    expect((await refresh(ended.refreshToken)).body.error).toBe('invalid_grant');
    expect(await signsInSilently(ended.browser, ada)).toBe(false);
    const alive = await refresh(lives.refreshToken);
    expect(alive.status, JSON.stringify(alive.body)).toBe(200);
    expect(await signsInSilently(lives.browser, ada)).toBe(true);

    const [notice] = await waitFor(
      () => {
        const tokens = logoutTokensFor(ada.userId);
        return tokens.length > 0 ? tokens : undefined;
      },
      { description: 'a back-channel logout token for the ended session' },
    );
    expect(notice).toMatchObject({
      iss: identity.issuer,
      aud: STOREFRONT.id,
      sid: expect.any(String),
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
    });
  });

  it('when the user revokes all sessions, then a refresh token issued before fails with invalid_grant and the provider session is gone', async () => {
    const ada = await signUp(identity);
    const storefront = await signedIn(ada);
    const secret = await logIn(identity, ada);
    expect(await providerSessionUids(ada.userId)).toHaveLength(1);

    const res = await identity.app.inject({ method: 'POST', url: '/api/identity/sessions/revoke-all', headers: withSession(secret) });
    expect(res.json()).toEqual({ revoked: 2 });

    const refused = await refresh(storefront.refreshToken);
    expect({ status: refused.status, error: refused.body.error }).toEqual({ status: 400, error: 'invalid_grant' });
    expect(await providerSessionUids(ada.userId)).toEqual([]);
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM oidc_payloads WHERE payload->>'accountId' = ${ada.userId} AND kind <> 'Interaction'`.execute(
      identity.ctx.db,
    );
    expect(rows[0]!.n).toBe(0);
    expect((await auditOf(identity, { userId: ada.userId })).at(-1)).toMatchObject({
      action: 'sessions.revoked_all',
      details: { revokedSessions: 2, singleSignOnSessions: 1, grantsRevoked: 1 },
    });
    expect(await signsInSilently(storefront.browser, ada)).toBe(false);
  });

  it('when the password is changed, then the single sign-on sessions end too and their refresh tokens fail', async () => {
    const ada = await signUp(identity);
    const storefront = await signedIn(ada);
    const secret = await logIn(identity, ada);
    const res = await identity.app.inject({
      method: 'POST',
      url: '/api/identity/password',
      headers: withSession(secret),
      payload: { current: ada.password, new: aPassword() },
    });
    expect(res.json()).toEqual({ revokedSessions: 1 });
    expect((await refresh(storefront.refreshToken)).body.error).toBe('invalid_grant');
    expect(await providerSessionUids(ada.userId)).toEqual([]);
    expect((await sessionsWith(withSession(secret))).json().items).toHaveLength(1);
  });

  it('when an admin (signed in through the admin console) suspends the user, then the user’s sessions and refresh tokens end and the admin is the actor', async () => {
    const admin = await signUp(identity);
    await sql`UPDATE users SET roles = ARRAY['admin']::text[] WHERE id = ${admin.userId}`.execute(identity.ctx.db);
    const { verifier, challenge } = pkcePair();
    const adminConsole = { clientId: ADMIN.id, redirectUri: ADMIN.redirect, resource: 'urn:emporium:identity', challenge };
    const { code } = await authorizationCode(new Browser(), identity.issuer, admin, adminConsole);
    const adminTokens = await tokenRequest(
      identity.issuer,
      { grant_type: 'authorization_code', code, redirect_uri: ADMIN.redirect, code_verifier: verifier },
      ADMIN,
    );
    expect(adminTokens.status, JSON.stringify(adminTokens.body)).toBe(200);

    const ada = await signUp(identity);
    const storefront = await signedIn(ada);
    const res = await identity.app.inject({
      method: 'PATCH',
      url: `/api/identity/admin/users/${ada.userId}`,
      headers: withToken(adminTokens.body.access_token),
      payload: { suspended: true },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect((await refresh(storefront.refreshToken)).body.error).toBe('invalid_grant');
    expect(await providerSessionUids(ada.userId)).toEqual([]);
    expect((await auditOf(identity, { userId: ada.userId })).at(-1)).toMatchObject({
      action: 'user.suspended',
      actor: admin.userId,
      details: { from: false, to: true, revokedSessions: 1, grantsRevoked: 1, via: 'access_token', clientId: ADMIN.id },
    });
    // The suspended user's own access token, still unexpired, no longer opens their routes here.
    expectProblem(await sessionsWith(withToken(storefront.accessToken)), 403, 'forbidden');
  });

  it('when the user logs out at the provider, then our session ends too, audited as a sign-out', async () => {
    const ada = await signUp(identity);
    const storefront = await signedIn(ada);
    const end = await storefront.browser.fetch(`${identity.issuer}/session/end?client_id=${STOREFRONT.id}`);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(await end.text())?.[1];
    expect(xsrf).toBeDefined();
    const confirmed = await storefront.browser.fetch(`${identity.issuer}/session/end/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf: xsrf!, logout: 'yes' }).toString(),
    });
    expect([200, 303]).toContain(confirmed.status);
    const entry = await waitFor(async () => (await auditOf(identity, { userId: ada.userId })).find((e) => e.action === 'session.revoked'), {
      description: 'the sign-out in the audit log',
    });
    expect(entry).toMatchObject({ actor: ada.userId, details: { reason: 'logout', via: 'oidc' } });
    const { rows } = await sql<{ reason: string }>`SELECT revoked_reason AS reason FROM sessions WHERE user_id = ${ada.userId}`.execute(
      identity.ctx.db,
    );
    expect(rows).toEqual([{ reason: 'logout' }]);
    const secret = await logIn(identity, ada);
    const activity = await identity.app.inject({ url: '/api/identity/activity?limit=2', headers: withSession(secret) });
    expect(activity.json().items[1]).toMatchObject({ action: 'session.revoked', summary: 'Signed out of single sign-on' });
  });

  it('when our session has ended but the provider still holds its session, then no token is issued and the browser must sign in again', async () => {
    const ada = await signUp(identity);
    const storefront = await signedIn(ada);
    // As if a request in flight had saved the provider's session back after we deleted it: only ours ends.
    await sql`UPDATE sessions SET revoked_at = now(), revoked_reason = 'revoked_by_user' WHERE user_id = ${ada.userId}`.execute(
      identity.ctx.db,
    );
    expect(await providerSessionUids(ada.userId)).toHaveLength(1);
    expect((await refresh(storefront.refreshToken)).body.error).toBe('invalid_grant');
    expect(await signsInSilently(storefront.browser, ada)).toBe(false);
  });
});
