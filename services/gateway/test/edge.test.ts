import { ConfigError } from '@emporium/config';
import { bearerFor, type StandIn, startStandIn, testIssuer, uniqueName } from '@emporium/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from './gateway.js';

const OWN_SITE = 'https://shop.example.test';
const PARTNER_SITE = 'https://partner.example.test';

describe('the edge: bearer tokens, cookies, security headers, CORS', () => {
  let upstream: StandIn;
  let gateway: RunningGateway;

  beforeAll(async () => {
    upstream = await startStandIn();
    // One stand-in answers for catalog and for identity (/oidc): what matters is what reaches it.
    gateway = await startGateway(upstream.url, {
      IDENTITY_URL: upstream.url,
      BFF_PUBLIC_URL: OWN_SITE,
      GATEWAY_CORS_ALLOWED_ORIGINS: PARTNER_SITE,
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.seen.length = 0;
    upstream.answer({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' });
  });

  it('when a bearer token is bad for the service of the prefix, then 401 invalid_token at the edge and the service is not called', async () => {
    const issuer = await testIssuer();
    const bad = {
      garbage: 'Bearer not-a-token',
      'for another service': (await bearerFor('orders', { customer: 'c1' })).authorization,
      expired: `Bearer ${await issuer.userToken('catalog', { sub: 'c1', roles: ['customer'] }, { now: new Date(Date.now() - 3_600_000), expiresInSec: 60 })}`,
      'an ID token': `Bearer ${await issuer.mint({ aud: 'catalog', nonce: 'n' }, { header: { typ: 'JWT' } })}`,
      'alg none': `Bearer ${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${Buffer.from('{"sub":"x","aud":"catalog"}').toString('base64url')}.`,
    };

    for (const [what, authorization] of Object.entries(bad)) {
      for (const path of ['/api/catalog/products', '/admin/api/catalog/products']) {
        const res = await fetch(`${gateway.url}${path}`, { headers: { authorization } });
        expect(res.status, `${what} at ${path}`).toBe(401);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
        const text = await res.text();
        expect(JSON.parse(text)).toMatchObject({ code: 'invalid_token' });
        expect(text).not.toContain(authorization.slice(7, 40));
      }
    }
    expect(upstream.seen).toHaveLength(0);
  });

  it('when a bearer token is good for the service, then it is passed on as it is; another scheme and no credentials pass untouched', async () => {
    const good = await bearerFor('catalog', { customer: 'c1' });

    expect((await fetch(`${gateway.url}/api/catalog/products`, { headers: good })).status).toBe(200);
    expect((await fetch(`${gateway.url}/api/catalog/products`, { headers: { authorization: 'Session abc123' } })).status).toBe(200);
    expect((await fetch(`${gateway.url}/api/catalog/products`)).status).toBe(200);

    expect(upstream.seen.map((s) => s.headers.authorization)).toEqual([good.authorization, 'Session abc123', undefined]);
  });

  it('routes the admin console’s /admin/api/<service> to the service’s own /api/<service>', async () => {
    const res = await fetch(`${gateway.url}/admin/api/catalog/products/p1?fields=name`, {
      headers: await bearerFor('catalog', { roles: ['merchandiser'] }),
    });

    expect(res.status).toBe(200);
    expect(upstream.seen[0]).toMatchObject({ method: 'GET', url: '/api/catalog/products/p1?fields=name' });
  });

  it('never forwards its own cookies: the provider’s pass under /oidc; a session cookie that names no session is 401 session_ended and cleared', async () => {
    const own = `__Host-emporium=${'a'.repeat(43)}; __Host-emporium-admin-login=${'b'.repeat(43)}`;

    const oidc = await fetch(`${gateway.url}/oidc/session/end`, { headers: { cookie: `_session=op1; ${own}; _interaction=op2` } });
    const otherApp = await fetch(`${gateway.url}/api/catalog/products`, {
      headers: { cookie: `__Host-emporium-admin=${'c'.repeat(43)}; theme=dark` },
    });
    const stale = await fetch(`${gateway.url}/api/catalog/products`, { headers: { cookie: own } });

    expect(oidc.status).toBe(200);
    expect(otherApp.status).toBe(200);
    expect(upstream.seen.map((s) => s.headers.cookie)).toEqual(['_session=op1; _interaction=op2', 'theme=dark']);
    expect(stale.status).toBe(401);
    expect(await stale.json()).toMatchObject({ code: 'session_ended' });
    expect(stale.headers.getSetCookie().find((c) => c.startsWith('__Host-emporium='))).toMatch(/Max-Age=0/);
  });

  it('puts the security headers on its own answers and on routed ones; a service’s own CSP is kept', async () => {
    upstream.answer({
      status: 200,
      headers: { 'content-type': 'text/html', 'content-security-policy': "default-src 'none'; style-src 'self'" },
      body: '<p>page</p>',
    });
    const own = await fetch(`${gateway.url}/auth/session`);
    const routedPage = await fetch(`${gateway.url}/oidc/interaction/x`);

    for (const res of [own, routedPage]) {
      expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('same-origin');
    }
    const csp = own.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"])
      expect(csp).toContain(directive);
    expect(csp).not.toContain('unsafe-inline');
    expect(routedPage.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'self'");
  });

  it('answers CORS only for an allowed origin, with credentials; another origin gets no CORS headers and its preflight is not answered', async () => {
    const preflight = (origin: string) =>
      fetch(`${gateway.url}/api/catalog/products`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-csrf-token' },
      });

    const allowed = await preflight(PARTNER_SITE);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(PARTNER_SITE);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('x-csrf-token');
    expect(upstream.seen).toHaveLength(0);

    const foreign = await fetch(`${gateway.url}/api/catalog/products`, { headers: { origin: 'https://evil.example' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect(foreign.headers.get('access-control-allow-credentials')).toBeNull();
    const foreignPreflight = await preflight('https://evil.example');
    expect(foreignPreflight.headers.get('access-control-allow-origin')).toBeNull();
    const simple = await fetch(`${gateway.url}/api/catalog/products`, { headers: { origin: PARTNER_SITE } });
    expect(simple.headers.get('access-control-allow-origin')).toBe(PARTNER_SITE);
  });

  it('refuses a returnTo that leaves the site, and a callback or logout without what they need', async () => {
    for (const returnTo of ['https://evil.example/', '//evil.example', '/\\evil.example', 'relative', '/a\u0000b']) {
      const res = await fetch(`${gateway.url}/auth/login?returnTo=${encodeURIComponent(returnTo)}`, { redirect: 'manual' });
      expect(res.status, returnTo).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'invalid_return_to' });
    }
    const callback = await fetch(`${gateway.url}/admin/auth/callback?code=c&state=s`, {
      redirect: 'manual',
      headers: { cookie: `__Host-emporium-admin-login=${'d'.repeat(43)}` },
    });
    expect(callback.status).toBe(400);
    expect(await callback.json()).toMatchObject({ code: 'login_expired' });
    expect(callback.headers.getSetCookie().find((c) => c.startsWith('__Host-emporium-admin-login='))).toMatch(/Max-Age=0/);
    const logout = await fetch(`${gateway.url}/auth/logout`, { method: 'POST', headers: { origin: OWN_SITE } });
    expect(logout.status).toBe(401);
    expect(await logout.json()).toMatchObject({ code: 'unauthenticated' });
  });

  it('documents its own routes (sign-in, session, logout, back-channel logout) in its OpenAPI description', async () => {
    const doc = (await (await fetch(`${gateway.url}/docs/json`)).json()) as { paths: Record<string, object> };

    for (const path of ['/auth/login', '/auth/callback', '/auth/session', '/auth/logout', '/auth/backchannel-logout'])
      for (const base of ['', '/admin']) expect(Object.keys(doc.paths), `${base}${path}`).toContain(`${base}${path}`);
    expect(JSON.stringify(doc)).not.toContain(upstream.url);
  });
});

describe('back-channel logout tokens', () => {
  let gateway: RunningGateway;
  let upstream: StandIn;

  beforeAll(async () => {
    upstream = await startStandIn();
    gateway = await startGateway(upstream.url);
  });
  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  const EVENT = { 'http://schemas.openid.net/event/backchannel-logout': {} };
  const post = (logoutToken: string, app = '') =>
    fetch(`${gateway.url}${app}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: logoutToken }).toString(),
    });

  it('accepts a logout token of the issuer for the app’s client (logout+jwt, the logout event, a sid)', async () => {
    const issuer = await testIssuer();
    const token = await issuer.mint({ aud: 'storefront', sid: uniqueName('sid'), events: EVENT }, { header: { typ: 'logout+jwt' } });

    const res = await post(token);

    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses, 400 invalid_logout_token, a token for the other app, of another type, without the event or a sid/sub, with a nonce, or forged', async () => {
    const issuer = await testIssuer();
    const sid = uniqueName('sid');
    const typ = { header: { typ: 'logout+jwt' } };
    const stranger = await issuer.createKey('ES256', { publish: false });
    const refused = {
      'for the admin console': await issuer.mint({ aud: 'admin-console', sid, events: EVENT }, typ),
      'an ID token': await issuer.mint({ aud: 'storefront', sid, events: EVENT }, { header: { typ: 'JWT' } }),
      'no event': await issuer.mint({ aud: 'storefront', sid }, typ),
      'no sid or sub': await issuer.mint({ aud: 'storefront', sub: undefined, events: EVENT }, typ),
      'a nonce': await issuer.mint({ aud: 'storefront', sid, events: EVENT, nonce: 'n' }, typ),
      'an unknown key': await issuer.mint({ aud: 'storefront', sid, events: EVENT }, { ...typ, key: stranger }),
      garbage: 'not.a.token',
    };

    for (const [what, token] of Object.entries(refused)) {
      const res = await post(token);
      expect(res.status, what).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'invalid_logout_token' });
    }
    expect((await post(refused['for the admin console'], '/admin')).status).toBe(200);
  });
});

describe('rate limits', () => {
  it('when one address sends more than the limit, then 429 rate_limited problem+json with Retry-After; the probes are not limited', async () => {
    const upstream = await startStandIn();
    const gateway = await startGateway(upstream.url, { GATEWAY_RATE_LIMIT_MAX: '3', GATEWAY_RATE_LIMIT_WINDOW_SECONDS: '60' });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await fetch(`${gateway.url}/api/catalog/products`)).status);
      const limited = await fetch(`${gateway.url}/api/catalog/products`);

      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await limited.json()).toMatchObject({ status: 429, code: 'rate_limited' });
      expect(upstream.seen).toHaveLength(3);
      for (const probe of ['/healthz', '/readyz', '/metrics']) expect((await fetch(`${gateway.url}${probe}`)).status, probe).toBe(200);
    } finally {
      await gateway.stop();
      await upstream.close();
    }
  });

  it('limits sign-ins more tightly than the rest', async () => {
    const upstream = await startStandIn();
    const gateway = await startGateway(upstream.url, { GATEWAY_RATE_LIMIT_AUTH_MAX: '2' });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await fetch(`${gateway.url}/auth/login?returnTo=x`, { redirect: 'manual' })).status);

      expect(statuses).toEqual([400, 400, 429]);
      expect((await fetch(`${gateway.url}/api/catalog/products`)).status).toBe(200);
    } finally {
      await gateway.stop();
      await upstream.close();
    }
  });
});

describe('configuration', () => {
  it('stops at a bad setting of the backend-for-frontend or the edge, naming the variable and never echoing a secret', async () => {
    const upstream = await startStandIn();
    try {
      const cases: [Record<string, string>, string][] = [
        [{ BFF_TOKEN_KEYS: 'c2hvcnQ' }, 'BFF_TOKEN_KEYS'],
        [{ BFF_STOREFRONT_CLIENT_SECRET: 'too-short' }, 'BFF_STOREFRONT_CLIENT_SECRET'],
        [{ BFF_ADMIN_CLIENT_SECRET: '' }, 'BFF_ADMIN_CLIENT_SECRET'],
        [{ GATEWAY_CORS_ALLOWED_ORIGINS: 'https://shop.example.test/path' }, 'GATEWAY_CORS_ALLOWED_ORIGINS'],
        [{ BFF_SESSION_IDLE_TIMEOUT_SECONDS: '0' }, 'BFF_SESSION_IDLE_TIMEOUT_SECONDS'],
        [{ GATEWAY_RATE_LIMIT_MAX: 'many' }, 'GATEWAY_RATE_LIMIT_MAX'],
        [{ BFF_PUBLIC_URL: 'shop.example.test' }, 'BFF_PUBLIC_URL'],
      ];
      for (const [env, variable] of cases) {
        const error = await startGateway(upstream.url, env).then(
          async (started) => {
            await started.stop();
            return undefined;
          },
          (e: unknown) => e,
        );
        expect(error, variable).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).variable).toBe(variable);
        const value = Object.values(env)[0];
        if (value && (variable.includes('SECRET') || variable.includes('KEYS'))) expect((error as Error).message).not.toContain(value);
      }
    } finally {
      await upstream.close();
    }
  });
});
