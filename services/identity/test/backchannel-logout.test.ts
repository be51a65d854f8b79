import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@emporium/testing';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeyedIdentity } from './key-support.js';
import { authorizationCode, Browser, pkcePair, tokenRequest } from './oidc-support.js';
import { type Identity, signUp } from './support.js';

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

interface Delivery {
  path: string;
  contentType: string | undefined;
  body: URLSearchParams;
}

/** Two relying parties' back-channel logout endpoints: a loopback server of the test, over plain http. */
let receiver: Server;
const deliveries: Delivery[] = [];
let identity: Identity & { issuer: string };

const rp = (name: string, port: number) => ({
  id: name,
  secret: `${name}-secret-0123456789abcdef0123456789`,
  redirect: `https://${name}.example.test/callback`,
  postLogout: `https://${name}.example.test/signed-out`,
  backchannel: `http://127.0.0.1:${port}/${name}/backchannel-logout`,
});
let shop: ReturnType<typeof rp>;
let desk: ReturnType<typeof rp>;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      deliveries.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: new URLSearchParams(body) });
      res.writeHead(200, { 'cache-control': 'no-store' }).end();
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  const { port } = receiver.address() as AddressInfo;
  [shop, desk] = [rp('shop-app', port), rp('desk-app', port)];
  identity = await startKeyedIdentity({
    IDENTITY_OIDC_CLIENTS: JSON.stringify(
      [shop, desk].map((c) => ({
        client_id: c.id,
        client_secret: c.secret,
        grant_types: ['authorization_code'],
        redirect_uris: [c.redirect],
        post_logout_redirect_uris: [c.postLogout],
        first_party: true,
        backchannel_logout_uri: c.backchannel,
      })),
    ),
  });
});
afterAll(async () => {
  await identity?.close();
  receiver?.close();
});

/** Signs in at a relying party (the browser's session at the provider is reused) and redeems the code. */
async function signIn(browser: Browser, client: typeof shop, account: { userId: string; email: string; password: string }) {
  const { verifier, challenge } = pkcePair();
  const { code } = await authorizationCode(browser, identity.issuer, account, {
    clientId: client.id,
    redirectUri: client.redirect,
    challenge,
    scope: 'openid',
  });
  const tokens = await tokenRequest(
    identity.issuer,
    { grant_type: 'authorization_code', code, redirect_uri: client.redirect, code_verifier: verifier },
    client,
  );
  expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
  return tokens.body as { id_token: string };
}

describe('OpenID Connect Back-Channel Logout 1.0', () => {
  it('when the user logs out at one app, then every app of the session gets a signed logout token for it, over http to a loopback address', async () => {
    const account = await signUp(identity);
    const browser = new Browser();
    const atShop = await signIn(browser, shop, account);
    const atDesk = await signIn(browser, desk, account);
    const sidOf = (idToken: string) => decodeJwt(idToken).sid as string;
    expect(sidOf(atShop.id_token)).toEqual(expect.any(String));

    // RP-initiated logout at the shop; the user confirms for the whole session (logout=yes).
    const end = await browser.fetch(
      `${identity.issuer}/session/end?${new URLSearchParams({ id_token_hint: atShop.id_token, post_logout_redirect_uri: shop.postLogout })}`,
    );
    const form = await end.text();
    expect(end.status, form).toBe(200);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)?.[1];
    expect(xsrf, form).toBeDefined();
    const confirmed = await browser.fetch(`${identity.issuer}/session/end/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf: xsrf!, logout: 'yes' }).toString(),
    });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toMatch(new RegExp(`^${shop.postLogout}`));

    await waitFor(() => deliveries.length >= 2, { description: 'two logout tokens delivered' });
    expect(deliveries.map((d) => d.path).sort()).toEqual([new URL(desk.backchannel).pathname, new URL(shop.backchannel).pathname].sort());

    const jwks = createRemoteJWKSet(new URL(`${identity.issuer}/jwks`));
    for (const [client, idToken] of [
      [shop, atShop.id_token],
      [desk, atDesk.id_token],
    ] as const) {
      const delivery = deliveries.find((d) => d.path === new URL(client.backchannel).pathname)!;
      expect(delivery.contentType).toBe('application/x-www-form-urlencoded');
      const logoutToken = delivery.body.get('logout_token');
      expect(logoutToken, client.id).toBeTruthy();
      // §2.6: verified like an ID token — signature against the issuer's keys, iss, aud = client_id.
      const { payload, protectedHeader } = await jwtVerify(logoutToken!, jwks, {
        issuer: identity.issuer,
        audience: client.id,
        algorithms: ['ES256'],
      });
      expect(protectedHeader.typ).toBe('logout+jwt');
      expect(payload.events).toEqual({ [BACKCHANNEL_EVENT]: {} });
      expect(payload.sub).toBe(account.userId);
      expect(payload.sid).toBe(sidOf(idToken));
      expect(payload.jti).toEqual(expect.any(String));
      expect(payload.iat).toEqual(expect.any(Number));
      // §2.4: a logout token never carries a nonce (it could be mistaken for an ID token).
      expect(payload).not.toHaveProperty('nonce');
    }
    expect(identity.logs.join('')).not.toContain('back-channel logout not delivered');

    // The session is over: the next sign-in asks for the password again.
    const again = await authorizationCode(browser, identity.issuer, account, {
      clientId: desk.id,
      redirectUri: desk.redirect,
      challenge: pkcePair().challenge,
      scope: 'openid',
    });
    expect(again.askedForPassword).toBe(true);
  });
});
