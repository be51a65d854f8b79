/**
 * The gateway as backend-for-frontend, with the whole system in one process and identity's real
 * OpenID provider behind it: a browser signs in through the gateway and holds a session cookie
 * only; the gateway puts the right access token on each request it routes; single sign-on and
 * logout span the storefront and the admin console (identity issue, tests 1 and 6).
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql } from '@emporium/db';
import { gatewayModule } from '@emporium/gateway';
import type { Transport } from '@emporium/messaging';
import { createLogger } from '@emporium/observability';
import { type RunningService, startService } from '@emporium/service';
import { createTestDatabase, createTestTransport, freePort, freePortBlock } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linksFor, SYSTEM } from '../src/services.js';
import { type RunningSystem, startSystem } from '../src/system.js';
import { type Account, Browser, csrfHeaders, endProviderSession, signIn, signUp } from './support/browser.js';

let system: RunningSystem;
let transport: Transport;
let gateway: string;
let portBase: number;
const logger = createLogger({ service: 'e2e', level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false });

beforeAll(async () => {
  transport = await createTestTransport(logger);
  portBase = await freePortBlock();
  system = await startSystem({
    portBase,
    transport,
    logger,
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    demo: false,
    databaseUrlOf: (service) => createTestDatabase(service.replace(/-/g, '_')),
    env: {
      identity: {
        IDENTITY_ARGON2_MEMORY_KIB: '256',
        IDENTITY_ARGON2_TIME_COST: '1',
        // Until the launcher generates it (identity's own change, running beside this one).
        IDENTITY_OIDC_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      },
    },
  });
  gateway = system.urls.gateway as string;
}, 120_000);
afterAll(async () => {
  await system?.stop();
  await transport?.close();
});

const gatewayDb = () => system.services.get('gateway')!.ctx.db;

/**
 * The suite's first admin: identity has no API to make one (an admin's token must name a user it
 * knows as an admin), so it is set in identity's table, as an operator would bootstrap it.
 */
let firstAdmin: Promise<Account> | undefined;
function bootstrapAdmin(): Promise<Account> {
  firstAdmin ??= (async () => {
    const admin = await signUp(gateway);
    await sql`UPDATE users SET roles = ARRAY['admin']::text[] WHERE id = ${admin.userId}::uuid`.execute(
      system.services.get('identity')!.ctx.db,
    );
    return admin;
  })();
  return firstAdmin;
}

/** Changes a user through identity's admin API, as the first admin (a token checked at the gateway's edge, then by identity). */
async function administer(account: Account, patch: Record<string, unknown>): Promise<void> {
  const admin = await bootstrapAdmin();
  const res = await fetch(`${gateway}/api/identity/admin/users/${account.userId}`, {
    method: 'PATCH',
    headers: { ...(await system.tokens.staff('identity', ['admin'], { sub: admin.userId })), 'content-type': 'application/json' },
    body: JSON.stringify(patch),
  });
  expect(res.status, await res.text()).toBe(200);
}

const grant = (account: Account, roles: string[]) => administer(account, { roles });
const suspend = (account: Account) => administer(account, { suspended: true });

/** Requests a service has answered so far (its http_server_requests_total, /metrics itself excluded). */
async function requestsAnsweredBy(service: string): Promise<number> {
  const text = await (await fetch(`${system.urls[service]}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('http_server_requests_total{'))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

describe('test 1: signing in through the gateway (authorization code + PKCE, server-side tokens)', () => {
  it('when a user signs in at the storefront, then the session cookie reaches orders and identity with a token for each, and the browser never holds a token', async () => {
    const account = await signUp(gateway);
    await grant(account, ['customer', 'admin']);
    const browser = new Browser();

    const { askedForPassword, landedAt } = await signIn(browser, gateway, account, { returnTo: '/orders?tab=recent' });

    expect(askedForPassword).toBe(true);
    expect(landedAt.href).toBe(`${gateway}/orders?tab=recent`);
    const orders = await browser.fetch(`${gateway}/api/orders`);
    expect(orders.status, await orders.clone().text()).toBe(200);
    expect((await orders.json()) as { items: unknown[] }).toMatchObject({ items: [] });
    const me = await browser.fetch(`${gateway}/api/identity/admin/users/${account.userId}`);
    expect(me.status, await me.clone().text()).toBe(200);
    expect(await me.json()).toMatchObject({ id: account.userId, email: account.email });
    // What the browser was given: cookies, never a token (a JWT starts with eyJ).
    for (const set of browser.setCookies) expect(set.value, set.name).not.toMatch(/^eyJ/);
    const session = await browser.session(gateway);
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ app: 'storefront', user: { sub: account.userId }, csrfToken: expect.any(String) });
    expect(JSON.stringify(session.body)).not.toMatch(/eyJ/);
    // At rest, every token is encrypted: no JWT in the clear in the gateway's database.
    const stored = await sql<{ blob: Buffer }>`
      SELECT id_token AS blob FROM bff_sessions WHERE subject = ${account.userId}
      UNION ALL SELECT refresh_token FROM bff_sessions WHERE subject = ${account.userId}
      UNION ALL SELECT t.token FROM bff_access_tokens t JOIN bff_sessions s ON s.id = t.session_id WHERE s.subject = ${account.userId}`.execute(
      gatewayDb(),
    );
    expect(stored.rows.length).toBeGreaterThanOrEqual(4);
    for (const { blob } of stored.rows) expect(blob.toString('latin1')).not.toMatch(/eyJ|\.[A-Za-z0-9_-]{20,}\./);
  });

  it('when signed in at the storefront, then the admin console signs in without a password; logout at one app ends both, at the provider too', async () => {
    const account = await signUp(gateway);
    await grant(account, ['customer', 'admin']);
    const browser = new Browser();
    await signIn(browser, gateway, account);

    const admin = await signIn(browser, gateway, account, { app: 'admin' });

    expect(admin.askedForPassword).toBe(false);
    expect(admin.landedAt.href).toBe(`${gateway}/admin/`);
    const viaAdmin = await browser.fetch(`${gateway}/admin/api/identity/admin/users/${account.userId}`);
    expect(viaAdmin.status, await viaAdmin.clone().text()).toBe(200);
    expect((await browser.session(gateway, 'admin')).body).toMatchObject({ app: 'admin', user: { sub: account.userId } });

    const out = await browser.fetch(`${gateway}/auth/logout`, { method: 'POST', headers: await csrfHeaders(browser, gateway) });
    expect(out.status, await out.clone().text()).toBe(200);
    const { endSessionUrl } = (await out.json()) as { endSessionUrl: string };
    expect(endSessionUrl.startsWith(`${gateway}/oidc/session/end?`)).toBe(true);
    expect(new URL(endSessionUrl).searchParams.get('post_logout_redirect_uri')).toBe(`${gateway}/`);
    expect((await browser.session(gateway)).status).toBe(401);
    expect(browser.cookie('__Host-emporium')).toBeUndefined();

    const backAt = await endProviderSession(browser, gateway, endSessionUrl);

    expect(backAt.href).toBe(`${gateway}/`);
    // The provider's back-channel logout reached the gateway: the admin console's session has ended too.
    expect((await browser.session(gateway, 'admin')).status).toBe(401);
    expect((await browser.fetch(`${gateway}/admin/api/identity/admin/users/${account.userId}`)).status).toBe(401);
    const again = await signIn(browser, gateway, account, { app: 'admin' });
    expect(again.askedForPassword).toBe(true);
  });
});

describe('test 6: the session cookie, fixation, CSRF, refresh and bearer tokens at the edge', () => {
  it('sets the session as a __Host- cookie: Secure, HttpOnly, SameSite=Lax, Path=/, no Domain, 256 random bits of which only a hash is stored', async () => {
    const account = await signUp(gateway);
    const browser = new Browser();
    await signIn(browser, gateway, account);

    const set = browser.setCookies.filter((c) => c.name === '__Host-emporium' && c.value !== '');
    expect(set).toHaveLength(1);
    const cookie = set[0]!;
    expect(new URL(cookie.url).pathname).toBe('/auth/callback');
    expect(cookie.attributes).toMatchObject({ secure: '', httponly: '', path: '/' });
    expect(cookie.attributes.samesite?.toLowerCase()).toBe('lax');
    expect(cookie.attributes.domain).toBeUndefined();
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const login = browser.setCookies.find((c) => c.name === '__Host-emporium-login' && c.value !== '')!;
    expect(login.attributes).toMatchObject({ secure: '', httponly: '', path: '/' });
    expect(login.attributes.samesite?.toLowerCase()).toBe('lax');
    // Cleared by the callback that used it.
    expect(browser.cookie('__Host-emporium-login')).toBeUndefined();
    const hash = createHash('sha256').update(cookie.value).digest();
    const rows = await sql<{ found: boolean; plain: boolean }>`
      SELECT secret_hash = ${hash} AS found, position(${Buffer.from(cookie.value)} IN secret_hash) > 0 AS plain
      FROM bff_sessions WHERE subject = ${account.userId}`.execute(gatewayDb());
    expect(rows.rows).toEqual([{ found: true, plain: false }]);
  });

  it('when a session id was set before sign-in, then the session after it has another one, and neither the planted value nor the sign-in cookie is a session', async () => {
    const account = await signUp(gateway);
    const browser = new Browser();
    const planted = 'A'.repeat(43);
    browser.plant('__Host-emporium', planted);
    expect((await browser.session(gateway)).body).toMatchObject({ code: 'session_ended' });
    browser.plant('__Host-emporium', planted);

    await signIn(browser, gateway, account);

    const after = browser.cookie('__Host-emporium');
    expect(after).toBeDefined();
    expect(after).not.toBe(planted);
    expect((await browser.session(gateway)).status).toBe(200);
    const attacker = new Browser();
    attacker.plant('__Host-emporium', planted);
    expect((await attacker.session(gateway)).status).toBe(401);
    const loginSecret = browser.setCookies.find((c) => c.name === '__Host-emporium-login' && c.value !== '')!.value;
    const replay = new Browser();
    replay.plant('__Host-emporium', loginSecret);
    expect((await replay.session(gateway)).status).toBe(401);
  });

  it('when an app sends a sign-in elsewhere, then returnTo is refused; a callback without a sign-in begun here is refused', async () => {
    for (const returnTo of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'orders']) {
      const res = await fetch(`${gateway}/auth/login?returnTo=${encodeURIComponent(returnTo)}`, { redirect: 'manual' });
      expect(res.status, returnTo).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'invalid_return_to' });
    }
    const callback = await fetch(`${gateway}/auth/callback?code=abc&state=xyz`, { redirect: 'manual' });
    expect(callback.status).toBe(400);
    expect(await callback.json()).toMatchObject({ code: 'login_expired' });
  });

  it('refuses a cookie-authenticated write without the CSRF token, with a wrong one, or from a foreign origin (403 csrf_failed); the right one passes', async () => {
    const account = await signUp(gateway);
    const browser = new Browser();
    await signIn(browser, gateway, account);
    const { 'x-csrf-token': token = '', origin = '' } = await csrfHeaders(browser, gateway);
    const cancel = `${gateway}/api/orders/00000000-0000-4000-8000-000000000000/cancel`;
    const before = await requestsAnsweredBy('orders');

    const refused: Record<string, string>[] = [
      { origin },
      { origin, 'x-csrf-token': `${token}x` },
      { origin: 'https://evil.example', 'x-csrf-token': token },
      { 'x-csrf-token': token },
      { referer: 'https://evil.example/page', 'x-csrf-token': token },
    ];
    for (const headers of refused) {
      const res = await browser.fetch(cancel, { method: 'POST', headers });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ code: 'csrf_failed' });
    }
    expect(await requestsAnsweredBy('orders')).toBe(before);

    const allowed: Record<string, string>[] = [
      { origin, 'x-csrf-token': token },
      { referer: `${gateway}/orders`, 'x-csrf-token': token },
    ];
    for (const headers of allowed) {
      const res = await browser.fetch(cancel, { method: 'POST', headers });
      // Past the gateway: orders itself answers, for this user.
      expect(res.status, JSON.stringify(headers)).toBe(404);
      expect(await res.json()).toMatchObject({ code: 'order_not_found' });
    }
    // Reads need no token.
    expect((await browser.fetch(`${gateway}/api/orders`)).status).toBe(200);
  });

  it('when many requests of one session need new access tokens at once, on two gateway replicas, then the refresh token is never used twice and the session lives on', async () => {
    const account = await signUp(gateway);
    await grant(account, ['customer', 'admin']);
    const browser = new Browser();
    await signIn(browser, gateway, account);
    const replica = await startReplica();
    try {
      const paths = ['/api/orders', `/api/identity/admin/users/${account.userId}`, '/api/orders?limit=5'];
      const burst = () =>
        Promise.all(Array.from({ length: 12 }, (_, i) => browser.fetch(`${i % 2 ? replica.url : gateway}${paths[i % paths.length]}`)));

      const first = await burst();
      const second = await burst();

      expect(first.map((r) => r.status)).toEqual(Array(12).fill(200));
      expect(second.map((r) => r.status)).toEqual(Array(12).fill(200));
      expect((await browser.session(gateway)).status).toBe(200);
    } finally {
      await replica.stop();
    }
  });

  it('when the grant dies at the provider (the user is suspended), then the next refresh ends the session: 401 session_ended', async () => {
    const account = await signUp(gateway);
    const browser = new Browser();
    await signIn(browser, gateway, account);
    await suspend(account);

    const res = await browser.fetch(`${gateway}/api/orders`);

    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'session_ended' });
    expect(browser.cookie('__Host-emporium')).toBeUndefined();
    const rows = await sql`SELECT 1 FROM bff_sessions WHERE subject = ${account.userId}`.execute(gatewayDb());
    expect(rows.rows).toEqual([]);
  });

  it('when an API client sends a bad bearer token, then the gateway answers 401 without calling the service; a good one passes', async () => {
    const before = await requestsAnsweredBy('orders');
    const forCatalog = await system.tokens.customer('catalog', 'cus_edge');
    const bad = ['Bearer not-a-jwt', forCatalog.authorization, `${(await system.tokens.customer('orders', 'cus_edge')).authorization}x`];

    for (const authorization of bad) {
      const res = await fetch(`${gateway}/api/orders`, { headers: { authorization } });
      expect(res.status, authorization.slice(0, 20)).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(await res.json()).toMatchObject({ code: 'invalid_token' });
    }

    expect(await requestsAnsweredBy('orders')).toBe(before);
    const good = await fetch(`${gateway}/api/orders`, { headers: await system.tokens.customer('orders', 'cus_edge') });
    expect(good.status).toBe(200);
    expect(await requestsAnsweredBy('orders')).toBe(before + 1);
  });
});

/** A second gateway on the same database, as a second replica behind the same public URL would be. */
async function startReplica(): Promise<RunningService<any, any>> {
  const entry = SYSTEM.find((e) => e.module.name === 'gateway')!;
  const env = entry.env!(linksFor(portBase, system.secrets));
  return startService(gatewayModule, {
    env: { ...env, PORT: String(await freePort()), HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATABASE_URL: gatewayDb().url },
    logger,
  });
}
