import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppKey, BffApp } from '../../domain/app.js';

/**
 * Every cookie of the gateway: the `__Host-` prefix makes the browser insist on Secure, Path=/ and
 * no Domain (so no sibling subdomain can set or read it); HttpOnly keeps it from scripts;
 * SameSite=Lax keeps it off cross-site subrequests while the provider's redirect back (a top-level
 * GET) still carries the sign-in cookie.
 */
const BASE: CookieSerializeOptions = { path: '/', secure: true, httpOnly: true, sameSite: 'lax' };

export function setCookie(reply: FastifyReply, name: string, value: string, maxAgeSeconds: number): void {
  reply.setCookie(name, value, { ...BASE, maxAge: maxAgeSeconds });
}

export function clearCookie(reply: FastifyReply, name: string): void {
  reply.clearCookie(name, BASE);
}

export const cookieOf = (request: FastifyRequest, name: string): string | undefined => request.cookies[name];

/** The names of all the gateway's own cookies: never forwarded to a service. */
export const ownCookieNames = (apps: Record<AppKey, BffApp>): ReadonlySet<string> =>
  new Set(Object.values(apps).flatMap((app) => [app.sessionCookie, app.loginCookie]));

/**
 * The Cookie header for an upstream: the client's cookies less the gateway's own (identity's
 * provider cookies under /oidc pass). Undefined when nothing is left.
 */
export function upstreamCookieHeader(header: string | undefined, own: ReadonlySet<string>): string | undefined {
  if (!header) return undefined;
  const kept = header
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair !== '' && !own.has(pair.slice(0, pair.indexOf('=') === -1 ? pair.length : pair.indexOf('=')).trim()));
  return kept.length ? kept.join('; ') : undefined;
}
