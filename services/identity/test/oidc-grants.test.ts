import { createTokenVerifier } from '@emporium/auth';
import { sql } from '@emporium/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN,
  authorizationCode,
  authorizeUrl,
  Browser,
  ORDERS_SERVICE,
  pkcePair,
  STOREFRONT,
  startIdentityWithOidc,
  tokenRequest,
} from './oidc-support.js';
import { type Account, anAdmin, type Identity, signUp } from './support.js';

let identity: Identity & { issuer: string };
beforeAll(async () => {
  identity = await startIdentityWithOidc();
});
afterAll(async () => {
  await identity?.close();
});

const storefront = { clientId: STOREFRONT.id, redirectUri: STOREFRONT.redirect, resource: 'urn:emporium:gateway' };

/** Signs in at the storefront and redeems the code: the first tokens of a new grant. */
async function storefrontTokens(account: Account, browser = new Browser()) {
  const { verifier, challenge } = pkcePair();
  const { code } = await authorizationCode(browser, identity.issuer, account, { ...storefront, challenge });
  const redeem = () =>
    tokenRequest(
      identity.issuer,
      { grant_type: 'authorization_code', code, redirect_uri: STOREFRONT.redirect, code_verifier: verifier },
      { id: STOREFRONT.id },
    );
  const tokens = await redeem();
  expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
  return { tokens: tokens.body, redeem };
}

const refresh = (refreshToken: string) =>
  tokenRequest(identity.issuer, { grant_type: 'refresh_token', refresh_token: refreshToken }, { id: STOREFRONT.id });

/** Where the provider sent the browser for an authorization request (or the error page it showed). */
async function authorizeOutcome(url: string, stopAt: string) {
  return new Browser().follow(url, stopAt);
}

describe('OpenID Connect: refusals', () => {
  it('when the authorization request has no PKCE challenge or a plain one, then it is refused back at the client', async () => {
    for (const pkce of [{}, { challenge: pkcePair().verifier, method: 'plain' }]) {
      const { location } = await authorizeOutcome(authorizeUrl(identity.issuer, { ...storefront, ...pkce }), STOREFRONT.redirect);
      expect(location?.searchParams.get('error'), JSON.stringify(pkce)).toBe('invalid_request');
      expect(location?.searchParams.get('code')).toBeNull();
    }
  });

  it('when the code is redeemed without its verifier or with another one, then it is refused', async () => {
    const account = await signUp(identity);
    const { challenge } = pkcePair();
    const { code } = await authorizationCode(new Browser(), identity.issuer, account, { ...storefront, challenge });
    const withoutVerifier = await tokenRequest(
      identity.issuer,
      { grant_type: 'authorization_code', code, redirect_uri: STOREFRONT.redirect },
      { id: STOREFRONT.id },
    );
    expect(withoutVerifier.status).toBe(400);
    expect(withoutVerifier.body.error).toBe('invalid_grant');
    const wrongVerifier = await tokenRequest(
      identity.issuer,
      { grant_type: 'authorization_code', code, redirect_uri: STOREFRONT.redirect, code_verifier: pkcePair().verifier },
      { id: STOREFRONT.id },
    );
    expect(wrongVerifier.body.error).toBe('invalid_grant');
  });

  it('when the redirect URI differs by a trailing slash, a query or its case, then the provider refuses without redirecting', async () => {
    for (const redirectUri of [`${STOREFRONT.redirect}/`, `${STOREFRONT.redirect}?next=/admin`, STOREFRONT.redirect.toUpperCase()]) {
      const url = authorizeUrl(identity.issuer, { ...storefront, redirectUri, challenge: pkcePair().challenge });
      const { page, location } = await authorizeOutcome(url, 'https://');
      expect(location, redirectUri).toBeUndefined();
      expect(page?.status, redirectUri).toBe(400);
      expect(await page?.text()).toContain('redirect_uri did not match');
    }
  });

  it('when an authorization code is used twice, then the second use is refused and the tokens it gave are revoked', async () => {
    const account = await signUp(identity);
    const { tokens, redeem } = await storefrontTokens(account);
    const again = await redeem();
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
    const refreshed = await refresh(tokens.refresh_token);
    expect(refreshed.body.error).toBe('invalid_grant');
  });
});

describe('OpenID Connect: refresh tokens', () => {
  it('when a refresh token is used, then a new one replaces it; reusing the old one revokes the whole family', async () => {
    const account = await signUp(identity);
    const { tokens } = await storefrontTokens(account);
    const first = await refresh(tokens.refresh_token);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.refresh_token).toEqual(expect.any(String));
    expect(first.body.refresh_token).not.toBe(tokens.refresh_token);
    const gateway = createTokenVerifier({ issuer: identity.issuer, audience: 'gateway', jwksUrl: `${identity.issuer}/jwks` });
    expect((await gateway.verify(first.body.access_token)).subject).toBe(account.userId);

    const stored = await sql<{ grant_id: string }>`
      SELECT grant_id FROM oidc_payloads WHERE kind = 'RefreshToken' AND id = ${first.body.refresh_token}`.execute(identity.ctx.db);
    const grantId = stored.rows[0]?.grant_id;
    expect(grantId).toEqual(expect.any(String));

    const reuse = await refresh(tokens.refresh_token);
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');
    // The thief's replay ended the legitimate holder's newer token too.
    const afterReuse = await refresh(first.body.refresh_token);
    expect(afterReuse.body.error).toBe('invalid_grant');
    // Nothing of the family is left: no token of the grant, and not the grant itself.
    const left = await sql<{ kind: string }>`
      SELECT kind FROM oidc_payloads WHERE grant_id = ${grantId} OR (kind = 'Grant' AND id = ${grantId})`.execute(identity.ctx.db);
    expect(left.rows).toEqual([]);
  });

  it('when a refresh token is revoked at the revocation endpoint, then it no longer refreshes', async () => {
    const account = await signUp(identity);
    const { tokens } = await storefrontTokens(account);
    const res = await fetch(`${identity.issuer}/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.refresh_token, client_id: STOREFRONT.id }).toString(),
    });
    expect(res.status).toBe(200);
    expect((await refresh(tokens.refresh_token)).body.error).toBe('invalid_grant');
  });

  it('when the user is suspended, then the refresh token stops working', async () => {
    const account = await signUp(identity);
    const { tokens } = await storefrontTokens(account);
    const suspended = await identity.app.inject({
      method: 'PATCH',
      url: `/api/identity/admin/users/${account.userId}`,
      headers: (await anAdmin(identity)).headers,
      payload: { suspended: true },
    });
    expect(suspended.statusCode).toBe(200);
    expect((await refresh(tokens.refresh_token)).body.error).toBe('invalid_grant');
  });
});

describe('OpenID Connect: single sign-on', () => {
  it('when signed in at the storefront, then the admin console signs in without a password; logout ends both', async () => {
    const account = await signUp(identity);
    const browser = new Browser();
    const { tokens } = await storefrontTokens(account, browser);

    const { verifier, challenge } = pkcePair();
    const admin = { clientId: ADMIN.id, redirectUri: ADMIN.redirect, challenge, resource: 'urn:emporium:gateway' };
    const second = await authorizationCode(browser, identity.issuer, account, admin);
    expect(second.askedForPassword).toBe(false);
    const adminTokens = await tokenRequest(
      identity.issuer,
      { grant_type: 'authorization_code', code: second.code, redirect_uri: ADMIN.redirect, code_verifier: verifier },
      ADMIN,
    );
    expect(adminTokens.status, JSON.stringify(adminTokens.body)).toBe(200);
    const gateway = createTokenVerifier({ issuer: identity.issuer, audience: 'gateway', jwksUrl: `${identity.issuer}/jwks` });
    expect(await gateway.verify(adminTokens.body.access_token)).toMatchObject({ subject: account.userId, clientId: ADMIN.id });

    // RP-initiated logout: the provider asks the user to confirm (a form with its xsrf token).
    const end = await browser.fetch(`${identity.issuer}/session/end?id_token_hint=${tokens.id_token}`);
    const form = await end.text();
    expect(end.status, form).toBe(200);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)?.[1];
    expect(xsrf, form).toBeDefined();
    const confirmed = await browser.fetch(`${identity.issuer}/session/end/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf: xsrf!, logout: 'yes' }).toString(),
    });
    expect([200, 303]).toContain(confirmed.status);

    expect((await refresh(tokens.refresh_token)).body.error).toBe('invalid_grant');
    const adminRefresh = await tokenRequest(
      identity.issuer,
      { grant_type: 'refresh_token', refresh_token: adminTokens.body.refresh_token },
      ADMIN,
    );
    expect(adminRefresh.body.error).toBe('invalid_grant');
    const again = await authorizationCode(browser, identity.issuer, account, { ...admin, challenge: pkcePair().challenge });
    expect(again.askedForPassword).toBe(true);
  });
});

describe('OpenID Connect: service to service', () => {
  it('when a service asks with client credentials for the payments audience, then the token is for payments only, with its scope', async () => {
    const res = await tokenRequest(
      identity.issuer,
      { grant_type: 'client_credentials', resource: 'urn:emporium:payments', scope: 'payments:capture' },
      ORDERS_SERVICE,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const payments = createTokenVerifier({ issuer: identity.issuer, audience: 'payments', jwksUrl: `${identity.issuer}/jwks` });
    expect(await payments.verify(res.body.access_token)).toMatchObject({
      kind: 'service',
      subject: ORDERS_SERVICE.id,
      clientId: ORDERS_SERVICE.id,
      scopes: ['payments:capture'],
      roles: [],
    });
    const orders = createTokenVerifier({ issuer: identity.issuer, audience: 'orders', jwksUrl: `${identity.issuer}/jwks` });
    await expect(orders.verify(res.body.access_token)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('when a service gives a wrong secret, an unknown audience or a scope another client is registered for, then no token', async () => {
    const wrongSecret = await tokenRequest(
      identity.issuer,
      { grant_type: 'client_credentials', resource: 'urn:emporium:payments' },
      { id: ORDERS_SERVICE.id, secret: `${ORDERS_SERVICE.secret}x` },
    );
    expect(wrongSecret.body.error).toBe('invalid_client');
    const unknownAudience = await tokenRequest(
      identity.issuer,
      { grant_type: 'client_credentials', resource: 'urn:emporium:bank' },
      ORDERS_SERVICE,
    );
    expect(unknownAudience.body.error).toBe('invalid_target');
    const notItsScope = await tokenRequest(
      identity.issuer,
      { grant_type: 'client_credentials', resource: 'urn:emporium:orders', scope: 'orders:read' },
      ORDERS_SERVICE,
    );
    expect(notItsScope.body.error).toBe('invalid_scope');
  });

  it('when a service asks for a scope no one is registered for, then the token carries no scope', async () => {
    const res = await tokenRequest(
      identity.issuer,
      { grant_type: 'client_credentials', resource: 'urn:emporium:payments', scope: 'payments:payout' },
      ORDERS_SERVICE,
    );
    expect(res.status).toBe(200);
    const payments = createTokenVerifier({ issuer: identity.issuer, audience: 'payments', jwksUrl: `${identity.issuer}/jwks` });
    expect((await payments.verify(res.body.access_token)).scopes).toEqual([]);
  });

  it('when a browser client tries client credentials or the password grant, then it is refused', async () => {
    const cc = await tokenRequest(identity.issuer, { grant_type: 'client_credentials', resource: 'urn:emporium:gateway' }, ADMIN);
    // oidc-provider answers invalid_request ("requested grant type is not allowed for this client").
    expect({ status: cc.status, error: cc.body.error }).toEqual({ status: 400, error: 'invalid_request' });
    const password = await tokenRequest(identity.issuer, { grant_type: 'password', username: 'a', password: 'b' }, ADMIN);
    expect(password.body.error).toBe('unsupported_grant_type');
  });
});
