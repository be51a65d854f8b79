/**
 * A browser, as far as the gateway's backend-for-frontend can tell: fetch with a cookie jar (one
 * site; paths, Max-Age=0 and past Expires honoured; Secure kept even over http://127.0.0.1 as a
 * browser does for localhost), redirects followed by hand, every Set-Cookie line kept for the
 * tests that look at cookie attributes. Plus the journeys a user makes: sign up, sign in through
 * the gateway and identity's login page, sign out at the provider.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';

interface Cookie {
  name: string;
  value: string;
  path: string;
}

export interface SetCookie {
  /** The URL whose answer set it. */
  url: string;
  name: string;
  value: string;
  /** Attribute names and values, names lower-cased (`httponly: ''`). */
  attributes: Record<string, string>;
  raw: string;
}

export function parseSetCookie(url: string, raw: string): SetCookie {
  const [pair = '', ...rest] = raw.split(';').map((s) => s.trim());
  const eq = pair.indexOf('=');
  const attributes: Record<string, string> = {};
  for (const attribute of rest) {
    const at = attribute.indexOf('=');
    if (at === -1) attributes[attribute.toLowerCase()] = '';
    else attributes[attribute.slice(0, at).toLowerCase()] = attribute.slice(at + 1);
  }
  return { url, name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes, raw };
}

export class Browser {
  private readonly jar = new Map<string, Cookie>();
  /** Every Set-Cookie received, oldest first. */
  readonly setCookies: SetCookie[] = [];

  /** The value of a cookie the browser holds (path /). */
  cookie(name: string): string | undefined {
    return this.jar.get(`${name};/`)?.value;
  }

  /** Plants a cookie, as an attacker with a foothold on a sibling site might try (or a test). */
  plant(name: string, value: string): void {
    this.jar.set(`${name};/`, { name, value, path: '/' });
  }

  forget(name: string): void {
    this.jar.delete(`${name};/`);
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const cookie = [...this.jar.values()]
      .filter((c) => target.pathname.startsWith(c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    const headers = new Headers(init.headers);
    if (cookie) headers.set('cookie', cookie);
    const res = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) this.store(parseSetCookie(url, line));
    return res;
  }

  private store(set: SetCookie) {
    this.setCookies.push(set);
    const path = set.attributes.path ?? '/';
    const expires = set.attributes.expires;
    const gone =
      set.attributes['max-age'] === '0' || (expires !== undefined && new Date(expires).getTime() <= Date.now()) || set.value === '';
    const key = `${set.name};${path}`;
    if (gone) this.jar.delete(key);
    else this.jar.set(key, { name: set.name, value: set.value, path });
  }

  /** Follows redirects from `url` until `stop(location)` says so (returned) or a page answers (returned). */
  async follow(url: string, stop: (location: URL) => boolean, init: RequestInit = {}): Promise<{ location?: URL; page?: Response }> {
    let res = await this.fetch(url, init);
    let base = url;
    for (let hops = 0; hops < 15; hops++) {
      if (res.status < 300 || res.status >= 400) return { page: res };
      const location = new URL(res.headers.get('location') ?? '', base);
      if (stop(location)) return { location };
      base = location.href;
      res = await this.fetch(location.href);
    }
    throw new Error('too many redirects');
  }

  /** GET <app>/auth/session: the session's view, or the status when there is none. */
  async session(gateway: string, app: App = 'storefront'): Promise<{ status: number; body: any }> {
    const res = await this.fetch(`${gateway}${basePath(app)}/auth/session`);
    return { status: res.status, body: await res.json() };
  }
}

export type App = 'storefront' | 'admin';
export const basePath = (app: App) => (app === 'admin' ? '/admin' : '');

export interface Account {
  userId: string;
  email: string;
  password: string;
}

/** Opens an account through the gateway (anonymous, as a new visitor would). */
export async function signUp(gateway: string): Promise<Account> {
  const email = `bff-${randomBytes(5).toString('hex')}@example.test`;
  const password = `Correct-${randomBytes(6).toString('hex')}-battery`;
  const res = await fetch(`${gateway}/api/identity/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return { userId: ((await res.json()) as { userId: string }).userId, email, password };
}

/** Leaves the provider and the gateway's sign-in routes: where the app lands. */
const outsideSignIn = (gateway: string) => (location: URL) =>
  location.origin !== new URL(gateway).origin || !(location.pathname.startsWith('/oidc/') || location.pathname.includes('/auth/'));

/**
 * The whole sign-in journey of one app through the gateway: <app>/auth/login → the provider →
 * (its login page, when there is no single sign-on session yet) → <app>/auth/callback → returnTo.
 */
export async function signIn(
  browser: Browser,
  gateway: string,
  account: Account,
  options: { app?: App; returnTo?: string } = {},
): Promise<{ askedForPassword: boolean; landedAt: URL }> {
  const app = options.app ?? 'storefront';
  const query = options.returnTo ? `?returnTo=${encodeURIComponent(options.returnTo)}` : '';
  let { location, page } = await browser.follow(`${gateway}${basePath(app)}/auth/login${query}`, outsideSignIn(gateway));
  const askedForPassword = page !== undefined && page.status === 200;
  if (page) {
    const html = await page.text();
    expect(page.status, html).toBe(200);
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    expect(action, html).toBeDefined();
    ({ location, page } = await browser.follow(`${gateway}${action!.replace(/&amp;/g, '&')}`, outsideSignIn(gateway), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: account.email, password: account.password }).toString(),
    }));
  }
  expect(location, page && `${page.status} ${await page.text()}`).toBeDefined();
  return { askedForPassword, landedAt: location! };
}

/** Visits the provider's end-session URL and confirms, as the user does on the provider's page. */
export async function endProviderSession(browser: Browser, gateway: string, endSessionUrl: string): Promise<URL> {
  const page = await browser.fetch(endSessionUrl);
  const form = await page.text();
  expect(page.status, form).toBe(200);
  const action = /<form[^>]*action="([^"]+)"/.exec(form)?.[1];
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)?.[1];
  expect(action && xsrf, form).toBeTruthy();
  const confirmed = await browser.fetch(new URL(action!.replace(/&amp;/g, '&'), gateway).href, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ xsrf: xsrf!, logout: 'yes' }).toString(),
  });
  expect(confirmed.status, await confirmed.clone().text()).toBe(303);
  return new URL(confirmed.headers.get('location') ?? '', gateway);
}

/** A write with the session's CSRF token from our own origin, as the storefront's pages send it. */
export async function csrfHeaders(browser: Browser, gateway: string, app: App = 'storefront'): Promise<Record<string, string>> {
  const { status, body } = await browser.session(gateway, app);
  expect(status).toBe(200);
  return { 'x-csrf-token': body.csrfToken, origin: new URL(gateway).origin };
}
