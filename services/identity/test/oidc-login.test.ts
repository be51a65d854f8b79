import { createTokenVerifier } from '@emporium/auth';
import { sql } from '@emporium/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizationCode,
  authorizeUrl,
  Browser,
  PARTNER,
  pkcePair,
  STOREFRONT,
  signInOnPage,
  startIdentityWithOidc,
  tokenRequest,
} from './oidc-support.js';
import { anAdmin, type Identity, signUp } from './support.js';

let identity: Identity & { issuer: string };
beforeAll(async () => {
  identity = await startIdentityWithOidc();
});
afterAll(async () => {
  await identity?.close();
});

const verifierFor = (audience: string) => createTokenVerifier({ issuer: identity.issuer, audience, jwksUrl: `${identity.issuer}/jwks` });

describe('OpenID Connect: authorization code with PKCE', () => {
  it('when a user signs in on our page with PKCE S256 for the gateway, then the access token verifies for the gateway with our claims', async () => {
    const account = await signUp(identity);
    const patched = await identity.app.inject({
      method: 'PATCH',
      url: `/api/identity/admin/users/${account.userId}`,
      headers: (await anAdmin(identity)).headers,
      payload: { roles: ['customer', 'support'], region: 'eu-west', refundLimit: { amount: 5000, currency: 'EUR' } },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const browser = new Browser();
    const { verifier, challenge } = pkcePair();

    const { code, askedForPassword } = await authorizationCode(browser, identity.issuer, account, {
      clientId: STOREFRONT.id,
      redirectUri: STOREFRONT.redirect,
      challenge,
      resource: 'urn:emporium:gateway',
    });
    expect(askedForPassword).toBe(true);
    const tokens = await tokenRequest(
      identity.issuer,
      { grant_type: 'authorization_code', code, redirect_uri: STOREFRONT.redirect, code_verifier: verifier },
      { id: STOREFRONT.id },
    );
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(tokens.body).toMatchObject({ token_type: 'Bearer', id_token: expect.any(String), refresh_token: expect.any(String) });

    const principal = await verifierFor('gateway').verify(tokens.body.access_token);
    expect(principal).toMatchObject({
      subject: account.userId,
      kind: 'user',
      clientId: STOREFRONT.id,
      roles: ['customer', 'support'],
      region: 'eu-west',
      refundLimit: { amount: 5000, currency: 'EUR' },
      suspended: false,
    });
    await expect(verifierFor('orders').verify(tokens.body.access_token)).rejects.toMatchObject({ code: 'invalid_token' });

    const header = JSON.parse(Buffer.from(tokens.body.access_token.split('.')[0], 'base64url').toString());
    expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES256', kid: expect.any(String) });
    const audit = await sql<{ action: string }>`SELECT action FROM audit_log WHERE subject_user_id = ${account.userId}::uuid`.execute(
      identity.ctx.db,
    );
    expect(audit.rows.map((r) => r.action)).toContain('login.succeeded');
  });
});

describe('OpenID Connect: our pages and discovery', () => {
  it('when the password is wrong on the login page, then the page says so with 401 and no code; the right one then signs in', async () => {
    const account = await signUp(identity);
    const browser = new Browser();
    const options = { clientId: STOREFRONT.id, redirectUri: STOREFRONT.redirect, challenge: pkcePair().challenge };
    const { page } = await browser.follow(authorizeUrl(identity.issuer, options), STOREFRONT.redirect);
    expect(page?.status).toBe(200);
    expect(page?.headers.get('x-frame-options')).toBe('DENY');
    expect(page?.headers.get('cache-control')).toBe('no-store');
    const wrong = await signInOnPage(
      browser,
      identity.issuer,
      page!,
      { ...account, password: `${account.password}x` },
      STOREFRONT.redirect,
    );
    expect(wrong.location).toBeUndefined();
    expect(wrong.page?.status).toBe(401);
    const html = await wrong.page!.text();
    expect(html).toContain('The e-mail address or the password is wrong.');
    expect(html).not.toContain(`${account.password}x`);

    const again = await browser.follow(authorizeUrl(identity.issuer, options), STOREFRONT.redirect);
    const right = await signInOnPage(browser, identity.issuer, again.page!, account, STOREFRONT.redirect);
    expect(right.location?.searchParams.get('code')).toBeTruthy();
  });

  it('when a third-party app asks, then the user is asked to consent; allowing gives a code, denying gives access_denied', async () => {
    const account = await signUp(identity);
    const browser = new Browser();
    const options = { clientId: PARTNER.id, redirectUri: PARTNER.redirect, challenge: pkcePair().challenge, scope: 'openid email' };
    const { page } = await browser.follow(authorizeUrl(identity.issuer, options), PARTNER.redirect);
    const consent = await signInOnPage(browser, identity.issuer, page!, account, PARTNER.redirect);
    expect(consent.location).toBeUndefined();
    const html = await consent.page!.text();
    expect(html).toContain('Allow access?');
    const [allow, deny] = [...html.matchAll(/<form method="post" action="([^"]+)"/g)].map(
      (m) => `${new URL(identity.issuer).origin}${m[1]}`,
    );
    const denied = await browser.follow(deny!, PARTNER.redirect, { method: 'POST' });
    expect(denied.location?.searchParams.get('error')).toBe('access_denied');

    const second = await browser.follow(authorizeUrl(identity.issuer, options), PARTNER.redirect);
    const secondHtml = await second.page!.text();
    expect(secondHtml).toContain('Allow access?');
    const action = /<form method="post" action="([^"]+)"/.exec(secondHtml)![1]!;
    expect(action).not.toBe(new URL(allow!).pathname);
    const allowed = await browser.follow(`${new URL(identity.issuer).origin}${action}`, PARTNER.redirect, { method: 'POST' });
    expect(allowed.location?.searchParams.get('code')).toBeTruthy();
  });

  it('when a client reads the discovery document, then it offers only the code flow with PKCE S256, and the JWKS has public keys only', async () => {
    const discovery: any = await (await fetch(`${identity.issuer}/.well-known/openid-configuration`)).json();
    expect(discovery).toMatchObject({
      issuer: identity.issuer,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      jwks_uri: `${identity.issuer}/jwks`,
    });
    expect(discovery.grant_types_supported.sort()).toEqual(['authorization_code', 'client_credentials', 'refresh_token']);
    const jwks: any = await (await fetch(discovery.jwks_uri)).json();
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: expect.any(String) });
      expect(key.d).toBeUndefined();
    }
  });
});
