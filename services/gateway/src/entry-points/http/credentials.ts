import { AuthError, bearerTokenOf, type TokenVerifier } from '@emporium/auth';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { accessTokenFor } from '../../domain/access-token.js';
import type { BffApp } from '../../domain/app.js';
import { checkCsrf } from '../../domain/csrf.js';
import type { BffDeps } from '../../domain/deps.js';
import { resolveSession } from '../../domain/resolve-session.js';
import { clearCookie, cookieOf } from './cookies.js';

/** What a proxied request carries upstream as `Authorization`: undefined sends none. */
export type UpstreamAuthorization = (request: FastifyRequest, reply: FastifyReply) => Promise<string | undefined>;

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * Who a request to `<app>/api/<service>` speaks for, decided at the edge:
 *
 * 1. `Authorization: Bearer` (an API client): the token is verified here — issuer, audience = the
 *    service, expiry, algorithm, key — and a bad one is 401 before the service is called; a good
 *    one is passed on as it is (the service verifies it again and decides). Another scheme is the
 *    service's business and is passed on untouched. No CSRF check: a browser cannot be made to
 *    send such a header cross-site.
 * 2. The app's session cookie (a browser): the session must be live (else 401 `session_ended`
 *    and the cookie is cleared), a write must pass the CSRF checks (403 `csrf_failed`), and the
 *    session's access token for the service goes upstream as a Bearer token.
 * 3. Neither: passed on anonymous; the service decides (catalog reads are public).
 */
export function upstreamAuthorization(deps: BffDeps, app: BffApp, service: string, verifier: TokenVerifier): UpstreamAuthorization {
  return async (request, reply) => {
    const given = header(request, 'authorization');
    if (given !== undefined) {
      if (!/^bearer\s/i.test(given.trim())) return given;
      try {
        await verifier.verify(bearerTokenOf(given));
      } catch (error) {
        if (error instanceof AuthError && error.reason)
          request.log.info({ reason: error.reason, service }, 'access token refused at the edge');
        throw error;
      }
      return given;
    }

    const secret = cookieOf(request, app.sessionCookie);
    if (secret === undefined) return undefined;
    let live: Awaited<ReturnType<typeof resolveSession>>;
    try {
      live = await resolveSession(deps, app, secret, service);
    } catch (error) {
      clearCookie(reply, app.sessionCookie);
      throw error;
    }
    checkCsrf(
      live.session,
      {
        method: request.method,
        origin: header(request, 'origin'),
        referer: header(request, 'referer'),
        csrfToken: header(request, 'x-csrf-token'),
      },
      deps.settings.allowedOrigins,
    );
    try {
      return `Bearer ${await accessTokenFor(deps, app, live.session, service, live.accessToken)}`;
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'session_ended') clearCookie(reply, app.sessionCookie);
      throw error;
    }
  };
}
