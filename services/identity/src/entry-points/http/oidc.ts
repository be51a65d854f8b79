import { AppError } from '@emporium/errors';
import { HIDDEN_FROM_DOCS, type ServiceApp } from '@emporium/service';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { InteractionDetails } from 'oidc-provider';
import { Type } from 'typebox';
import type { IdentityDeps } from '../../domain/deps.js';
import { login } from '../../domain/login.js';
import { LOGIN_SESSION } from '../../domain/provider-session.js';
import type { OidcSettings } from '../../oidc/settings.js';
import { clientOf } from './caller.js';
import { installLogoutNotices } from './logout-notices.js';
import { consentPage, loginPage, PAGE_HEADERS } from './oidc-pages.js';

const LoginForm = Type.Object(
  { email: Type.String({ minLength: 1, maxLength: 254 }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
const Uid = Type.Object({ uid: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });

/** What the login form says for each refusal of the accounts core (the codes stay those of /api/identity/login). */
const LOGIN_REFUSALS: Record<string, string> = {
  invalid_credentials: 'The e-mail address or the password is wrong.',
  account_suspended: 'This account is suspended.',
  rate_limited: 'Too many failed attempts. Try again later.',
};

const interactionExpired = () =>
  new AppError('interaction_not_found', 'This sign-in has expired or was finished; start again from the application', 400);

/**
 * Mounts the OpenID Connect provider at settings.mountPath, with our login and consent pages at
 * `<mount>/interaction/:uid`. The provider is a Koa app: it gets the raw request with the mount
 * path stripped (and `originalUrl` kept, from which it builds its URLs) and reads the body itself.
 */
export async function oidcRoutes(
  app: ServiceApp,
  provider: Provider,
  deps: IdentityDeps,
  settings: OidcSettings,
  trustedHops: number,
): Promise<void> {
  const mount = settings.mountPath;
  installLogoutNotices(app, provider, app.log);
  const firstParty = new Set(settings.clients.filter((c) => c.first_party).map((c) => c.client_id));

  const interactionOf = async (request: FastifyRequest<{ Params: { uid: string } }>, reply: FastifyReply): Promise<InteractionDetails> => {
    const details = await provider.interactionDetails(request.raw, reply.raw).catch(() => undefined);
    if (!details || details.uid !== request.params.uid) throw interactionExpired();
    return details;
  };
  const finish = async (request: FastifyRequest, reply: FastifyReply, result: Record<string, unknown>) => {
    const returnTo = await provider.interactionResult(request.raw, reply.raw, result, { mergeWithLastSubmission: false });
    return reply.header('cache-control', 'no-store').redirect(returnTo, 303);
  };
  const grantConsent = async (details: InteractionDetails): Promise<string> => {
    const missing = details.prompt.details;
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: String(details.session?.accountId), clientId: String(details.params.client_id) });
    if (!grant) throw interactionExpired();
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries((missing.missingResourceScopes ?? {}) as Record<string, string[]>))
      grant.addResourceScope(indicator, scopes.join(' '));
    return grant.save();
  };

  await app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    const pages = { ...HIDDEN_FROM_DOCS, schema: { ...HIDDEN_FROM_DOCS.schema, params: Uid } };

    scope.get<{ Params: { uid: string } }>(`${mount}/interaction/:uid`, pages, async (request, reply) => {
      const details = await interactionOf(request, reply);
      const clientId = String(details.params.client_id);
      const base = `${mount}/interaction/${details.uid}`;
      if (details.prompt.name === 'login') return reply.headers(PAGE_HEADERS).send(loginPage(`${base}/login`, clientId));
      if (details.prompt.name === 'consent') {
        // Our own apps need no consent screen: the user chose us by signing in.
        if (firstParty.has(clientId)) return finish(request, reply, { consent: { grantId: await grantConsent(details) } });
        const missing = details.prompt.details;
        const asks = [
          ...(missing.missingOIDCScope ?? []),
          ...Object.values((missing.missingResourceScopes ?? {}) as Record<string, string[]>).flat(),
        ];
        return reply.headers(PAGE_HEADERS).send(consentPage(`${base}/confirm`, `${base}/abort`, clientId, asks));
      }
      throw interactionExpired();
    });

    scope.post<{ Params: { uid: string }; Body: { email: string; password: string } }>(
      `${mount}/interaction/:uid/login`,
      { schema: { ...pages.schema, body: LoginForm } },
      async (request, reply) => {
        const details = await interactionOf(request, reply);
        if (details.prompt.name !== 'login') throw interactionExpired();
        try {
          const clientId = String(details.params.client_id);
          const { user, session } = await login(deps, request.body, clientOf(request, trustedHops), { clientId });
          // The provider's session begins when the interaction resumes; findAccount then ties ours to it
          // (oidc/provider.ts, domain/provider-session.ts) by this id (public, not the session's secret).
          return finish(request, reply, { login: { accountId: user.id }, [LOGIN_SESSION]: session.id });
        } catch (error) {
          if (!(error instanceof AppError) || !LOGIN_REFUSALS[error.code]) throw error;
          if (error.code === 'rate_limited') reply.header('retry-after', String(error.details?.retryAfterSeconds ?? 1));
          const page = loginPage(request.url, String(details.params.client_id), {
            email: request.body.email,
            error: LOGIN_REFUSALS[error.code],
          });
          return reply.status(error.status).headers(PAGE_HEADERS).send(page);
        }
      },
    );

    scope.post<{ Params: { uid: string } }>(`${mount}/interaction/:uid/confirm`, pages, async (request, reply) => {
      const details = await interactionOf(request, reply);
      if (details.prompt.name !== 'consent') throw interactionExpired();
      return finish(request, reply, { consent: { grantId: await grantConsent(details) } });
    });

    scope.post<{ Params: { uid: string } }>(`${mount}/interaction/:uid/abort`, pages, async (request, reply) => {
      await interactionOf(request, reply);
      return finish(request, reply, { error: 'access_denied', error_description: 'The user denied access' });
    });
  });

  // Everything else under the mount path is the provider's (discovery, JWKS, authorize, token, logout…).
  await app.register(async (scope) => {
    // The provider parses bodies itself: leave the stream unread.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    const callback = provider.callback();
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      reply.hijack();
      const raw = request.raw as typeof request.raw & { originalUrl?: string };
      const url = raw.url ?? '/';
      raw.originalUrl = url;
      const rest = url.slice(mount.length);
      raw.url = rest.startsWith('/') ? rest : `/${rest}`;
      callback(raw, reply.raw);
    };
    scope.all(mount, HIDDEN_FROM_DOCS, handler);
    scope.all(`${mount}/*`, HIDDEN_FROM_DOCS, handler);
  });
}
