import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { freePort, uniqueName } from '@emporium/testing';
import { expect } from 'vitest';
import { type Account, type Identity, startIdentity } from './support.js';

export const STOREFRONT = { id: 'storefront', redirect: 'https://shop.example.test/callback' };
export const ADMIN = {
  id: 'admin-console',
  redirect: 'https://admin.example.test/callback',
  secret: 'admin-console-secret-0123456789abcdef',
};
export const PARTNER = {
  id: 'partner-app',
  redirect: 'https://partner.example.test/cb',
  secret: 'partner-app-secret-0123456789abcdef0123',
};
export const NOTIFICATIONS_SERVICE = { id: 'notifications-service', secret: 'notifications-secret-0123456789abcdef', scope: 'orders:read' };
export const ORDERS_SERVICE = {
  id: 'orders-service',
  secret: 'orders-service-secret-0123456789abcdef',
  scope: 'payments:capture payments:refund',
};

/** A fresh ES256 signing key as a private JWK (what IDENTITY_OIDC_JWKS holds). */
export function anEs256Key(kid = uniqueName('key')) {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
}

export const oidcEnv = (port: number, overrides: Record<string, string> = {}) => ({
  PORT: String(port),
  IDENTITY_ISSUER: `http://127.0.0.1:${port}/oidc`,
  IDENTITY_OIDC_JWKS: JSON.stringify({ keys: [anEs256Key()] }),
  IDENTITY_OIDC_COOKIE_KEYS: randomBytes(32).toString('base64url'),
  IDENTITY_OIDC_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  IDENTITY_OIDC_CLIENTS: JSON.stringify([
    {
      client_id: STOREFRONT.id,
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [STOREFRONT.redirect],
      first_party: true,
    },
    {
      client_id: ADMIN.id,
      client_secret: ADMIN.secret,
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [ADMIN.redirect],
      first_party: true,
    },
    { client_id: PARTNER.id, client_secret: PARTNER.secret, grant_types: ['authorization_code'], redirect_uris: [PARTNER.redirect] },
    {
      client_id: ORDERS_SERVICE.id,
      client_secret: ORDERS_SERVICE.secret,
      grant_types: ['client_credentials'],
      scope: ORDERS_SERVICE.scope,
    },
    {
      client_id: NOTIFICATIONS_SERVICE.id,
      client_secret: NOTIFICATIONS_SERVICE.secret,
      grant_types: ['client_credentials'],
      scope: NOTIFICATIONS_SERVICE.scope,
    },
  ]),
  ...overrides,
});

/**
 * The identity service with the provider mounted at /oidc, listening on a port its issuer names.
 * `trustOwnIssuer`: its own routes accept access tokens of its own provider (aud identity), as in
 * the whole system, instead of the test issuer's. `backchannelLogoutUri`: the storefront registers it.
 */
export async function startIdentityWithOidc(
  overrides: Record<string, string> = {},
  options: { trustOwnIssuer?: boolean; backchannelLogoutUri?: string } = {},
): Promise<Identity & { issuer: string }> {
  const port = await freePort();
  const env = oidcEnv(port, overrides);
  const issuer = env.IDENTITY_ISSUER;
  if (options.backchannelLogoutUri) {
    const clients = JSON.parse(env.IDENTITY_OIDC_CLIENTS) as { client_id: string }[];
    const withUri = clients.map((c) =>
      c.client_id === STOREFRONT.id ? { ...c, backchannel_logout_uri: options.backchannelLogoutUri } : c,
    );
    env.IDENTITY_OIDC_CLIENTS = JSON.stringify(withUri);
  }
  const trust: Record<string, string> = options.trustOwnIssuer
    ? { AUTH_ISSUER: issuer, AUTH_JWKS_URL: `${issuer}/jwks`, AUTH_AUDIENCE: 'identity' }
    : {};
  const identity = await startIdentity({ ...env, ...trust });
  return Object.assign(identity, { issuer });
}

interface Cookie {
  name: string;
  value: string;
  path: string;
}

/** A user agent: fetch with a cookie jar (one host, paths honoured), redirects followed by hand. */
export class Browser {
  private readonly cookies = new Map<string, Cookie>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const cookie = [...this.cookies.values()]
      .filter((c) => target.pathname.startsWith(c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    const headers = new Headers(init.headers);
    if (cookie) headers.set('cookie', cookie);
    const res = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) this.store(line);
    return res;
  }

  private store(line: string) {
    const [pair = '', ...attributes] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const [name, value] = [pair.slice(0, eq), pair.slice(eq + 1)];
    const attr = (key: string) => attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.split('=')[1];
    const path = attr('path') ?? '/';
    const expires = attr('expires');
    const gone = attr('max-age') === '0' || (expires !== undefined && new Date(expires).getTime() <= Date.now()) || value === '';
    const key = `${name};${path}`;
    if (gone) this.cookies.delete(key);
    else this.cookies.set(key, { name, value, path });
  }

  /** Follows redirects from `url` until one leaves for `stopAt` (returned) or a page answers (returned). */
  async follow(url: string, stopAt: string, init: RequestInit = {}): Promise<{ location?: URL; page?: Response }> {
    let res = await this.fetch(url, init);
    let base = url;
    for (let hops = 0; hops < 10; hops++) {
      if (res.status < 300 || res.status >= 400) return { page: res };
      const location = new URL(res.headers.get('location') ?? '', base);
      if (location.href.startsWith(stopAt)) return { location };
      base = location.href;
      res = await this.fetch(location.href);
    }
    throw new Error('too many redirects');
  }
}

export const pkcePair = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

export interface AuthorizeOptions {
  clientId: string;
  redirectUri: string;
  challenge?: string;
  method?: string;
  resource?: string;
  scope?: string;
  extra?: Record<string, string>;
}

export function authorizeUrl(issuer: string, o: AuthorizeOptions): string {
  const params = new URLSearchParams({
    client_id: o.clientId,
    redirect_uri: o.redirectUri,
    response_type: 'code',
    scope: o.scope ?? 'openid email',
    state: randomBytes(8).toString('hex'),
    nonce: randomBytes(8).toString('hex'),
    ...(o.challenge ? { code_challenge: o.challenge, code_challenge_method: o.method ?? 'S256' } : {}),
    ...(o.resource ? { resource: o.resource } : {}),
    ...o.extra,
  });
  return `${issuer}/auth?${params}`;
}

/** Submits the login form of the page and follows on to the client's redirect URI. */
export async function signInOnPage(browser: Browser, issuer: string, page: Response, account: Account, stopAt: string) {
  const html = await page.text();
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  expect(action, html).toBeDefined();
  const origin = new URL(issuer).origin;
  return browser.follow(`${origin}${action!.replace(/&amp;/g, '&')}`, stopAt, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: account.email, password: account.password }).toString(),
  });
}

/** The whole browser journey: authorize, sign in if asked, back at the client with a code. */
export async function authorizationCode(
  browser: Browser,
  issuer: string,
  account: Account,
  o: AuthorizeOptions,
): Promise<{ code: string; state: string | null; askedForPassword: boolean }> {
  const url = authorizeUrl(issuer, o);
  let { location, page } = await browser.follow(url, o.redirectUri);
  const askedForPassword = page !== undefined;
  if (page) {
    expect(page.status).toBe(200);
    ({ location, page } = await signInOnPage(browser, issuer, page, account, o.redirectUri));
  }
  expect(location, page && `${page.status} ${await page.text()}`).toBeDefined();
  const code = location!.searchParams.get('code');
  expect(code, location!.href).toBeTruthy();
  return { code: code!, state: location!.searchParams.get('state'), askedForPassword };
}

/** A token endpoint request, as the client would send it (basic auth for a confidential client). */
export async function tokenRequest(issuer: string, body: Record<string, string>, client: { id: string; secret?: string }) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const form = new URLSearchParams(body);
  if (client.secret)
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`;
  else form.set('client_id', client.id);
  const res = await fetch(`${issuer}/token`, { method: 'POST', headers, body: form.toString() });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}
