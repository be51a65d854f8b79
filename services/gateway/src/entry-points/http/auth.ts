import { problems, type ServiceApp } from '@emporium/service';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import type { BffApp } from '../../domain/app.js';
import { checkCsrf } from '../../domain/csrf.js';
import type { BffDeps } from '../../domain/deps.js';
import { noSession } from '../../domain/errors.js';
import { finishLogin } from '../../domain/finish-login.js';
import { backchannelLogout, logout } from '../../domain/logout.js';
import { resolveSession } from '../../domain/resolve-session.js';
import type { BffSession } from '../../domain/session.js';
import { startLogin } from '../../domain/start-login.js';
import { clearCookie, cookieOf, setCookie } from './cookies.js';

const LoginQuery = Type.Object(
  {
    returnTo: Type.Optional(
      Type.String({ maxLength: 1_024, description: 'A path on this site to land on after sign-in (default: the app’s home)' }),
    ),
  },
  { additionalProperties: false },
);

/** What the provider sends back (RFC 6749 §4.1.2, RFC 9207 `iss`); read by openid-client, checked there. */
const CallbackQuery = Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 4_096 }), {
  description: 'code, state and iss, or error and error_description',
});

const SessionView = Type.Object(
  {
    app: Type.String({ description: 'storefront or admin' }),
    user: Type.Object(
      { sub: Type.String(), email: Type.Optional(Type.String()), name: Type.Optional(Type.String()) },
      { additionalProperties: false, description: 'Claims of the ID token' },
    ),
    csrfToken: Type.String({ description: 'Send it as X-CSRF-Token with every POST, PUT, PATCH and DELETE made with this session' }),
    idleExpiresAt: Type.String({ format: 'date-time' }),
    absoluteExpiresAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

const LogoutView = Type.Object(
  {
    endSessionUrl: Type.Optional(
      Type.String({ description: 'Send the browser here to end the single sign-on session at the provider (and every app’s session)' }),
    ),
  },
  { additionalProperties: false },
);

const LogoutTokenBody = Type.Object({ logout_token: Type.String({ minLength: 1, maxLength: 8_192 }) }, { additionalProperties: false });

const NO_STORE = { 'cache-control': 'no-store' } as const;

const sessionView = (session: BffSession): Static<typeof SessionView> => ({
  app: session.app,
  user: session.claims,
  csrfToken: session.csrfToken,
  idleExpiresAt: session.idleExpiresAt.toISOString(),
  absoluteExpiresAt: session.absoluteExpiresAt.toISOString(),
});

/** The live session of the request's cookie: none → 401 unauthenticated; a dead one → 401 session_ended, cookie cleared. */
async function sessionOf(deps: BffDeps, app: BffApp, request: FastifyRequest, reply: FastifyReply): Promise<BffSession> {
  const secret = cookieOf(request, app.sessionCookie);
  if (secret === undefined) throw noSession();
  try {
    return (await resolveSession(deps, app, secret)).session;
  } catch (error) {
    clearCookie(reply, app.sessionCookie);
    throw error;
  }
}

/**
 * The sign-in routes of one app (`<base>/auth/*`, base '' for the storefront and '/admin' for the
 * admin console): the browser is sent to the provider and back, and holds a session cookie only.
 */
export async function authRoutes(app: ServiceApp, deps: BffDeps, bff: BffApp, options: { loginRateLimit: object }): Promise<void> {
  const base = `${bff.basePath}/auth`;
  const tags = [bff.key === 'admin' ? 'admin console sign-in' : 'storefront sign-in'];

  await app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );

    scope.get(
      `${base}/login`,
      {
        config: { rateLimit: options.loginRateLimit },
        schema: {
          tags,
          summary: 'Start signing in: 302 to the identity provider',
          description:
            'Authorization code with PKCE S256, state, nonce and a resource indicator per service. What the callback needs stays on the server, under a short-lived cookie.',
          querystring: LoginQuery,
          response: {
            ...problems({ 400: 'invalid_return_to, validation_failed', 429: 'rate_limited', 503: 'identity_unavailable' }),
          },
        },
      },
      async (request, reply) => {
        const { returnTo } = request.query as Static<typeof LoginQuery>;
        const started = await startLogin(deps, bff, returnTo);
        setCookie(reply, bff.loginCookie, started.loginSecret, started.maxAgeSeconds);
        return reply.headers(NO_STORE).redirect(started.redirectTo, 302);
      },
    );

    scope.get(
      `${base}/callback`,
      {
        config: { rateLimit: options.loginRateLimit },
        schema: {
          tags,
          summary: 'Where the provider sends the browser back: starts a new session, then 302 to returnTo',
          description:
            'The code is redeemed on the server; the ID token is checked. A new session cookie replaces whatever session cookie the browser had (no fixation); the sign-in cookie is cleared.',
          querystring: CallbackQuery,
          response: {
            ...problems({ 400: 'login_expired, login_failed', 429: 'rate_limited', 502: 'identity_refused', 503: 'identity_unavailable' }),
          },
        },
      },
      async (request, reply) => {
        const loginSecret = cookieOf(request, bff.loginCookie);
        // The sign-in cookie is spent whatever happens next.
        clearCookie(reply, bff.loginCookie);
        // The callback URL as registered (never the Host header), with the provider's query.
        const callbackUrl = new URL(bff.redirectUri);
        callbackUrl.search = new URL(request.url, 'http://gateway.invalid').search;
        const previous = cookieOf(request, bff.sessionCookie);
        const { sessionSecret, returnTo } = await finishLogin(deps, bff, loginSecret, callbackUrl, previous);
        setCookie(reply, bff.sessionCookie, sessionSecret, deps.settings.absoluteSeconds);
        return reply.headers(NO_STORE).redirect(returnTo, 302);
      },
    );

    scope.get(
      `${base}/session`,
      {
        schema: {
          tags,
          summary: 'The signed-in user and the CSRF token of the session',
          response: { 200: SessionView, ...problems({ 401: 'unauthenticated (no session), session_ended' }) },
        },
      },
      async (request, reply) => reply.headers(NO_STORE).send(sessionView(await sessionOf(deps, bff, request, reply))),
    );

    scope.post(
      `${base}/logout`,
      {
        schema: {
          tags,
          summary: 'Sign out: ends the session and revokes its refresh token',
          description:
            'Needs X-CSRF-Token and an allowed Origin. Answers the provider’s end-session URL: visiting it ends the single sign-on session, and with it the user’s sessions of the other app (back-channel logout).',
          response: {
            200: LogoutView,
            ...problems({ 401: 'unauthenticated, session_ended', 403: 'csrf_failed' }),
          },
        },
      },
      async (request, reply) => {
        const session = await sessionOf(deps, bff, request, reply);
        checkCsrf(
          session,
          {
            method: request.method,
            origin: request.headers.origin,
            referer: request.headers.referer,
            csrfToken: typeof request.headers['x-csrf-token'] === 'string' ? request.headers['x-csrf-token'] : undefined,
          },
          deps.settings.allowedOrigins,
        );
        clearCookie(reply, bff.sessionCookie);
        const ended = await logout(deps, bff, session, (error) => request.log.warn({ err: error }, 'revoking the refresh token failed'));
        return reply.headers(NO_STORE).send(ended.endSessionUrl ? { endSessionUrl: ended.endSessionUrl } : {});
      },
    );

    scope.post(
      `${base}/backchannel-logout`,
      {
        schema: {
          tags,
          summary: 'OpenID Connect back-channel logout: the provider ends this app’s sessions of a user',
          description: 'Called by the identity provider, not by browsers. The body is application/x-www-form-urlencoded.',
          body: LogoutTokenBody,
          response: {
            200: Type.Null({ description: 'The sessions of that provider session (or user) have ended' }),
            ...problems({ 400: 'invalid_logout_token, validation_failed', 503: 'identity_unavailable' }),
          },
        },
      },
      async (request, reply) => {
        const { logout_token } = request.body as Static<typeof LogoutTokenBody>;
        const ended = await backchannelLogout(deps, bff, logout_token);
        request.log.info({ app: bff.key, ended }, 'back-channel logout');
        return reply.status(200).headers(NO_STORE).send();
      },
    );
  });
}
