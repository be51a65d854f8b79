import { randomUUID } from 'node:crypto';
import { AppError } from '@emporium/errors';
import type { ServiceApp, ServiceContext } from '@emporium/service';
import type { IdentityConfig } from './config.js';
import { createArgon2Hasher } from './crypto/argon2-hasher.js';
import type { IdentityDatabase } from './data-access/tables.js';
import type { IdentityDeps, IdentityMetrics, IdentitySettings } from './domain/deps.js';
import { accountRoutes } from './entry-points/http/account.js';
import { adminRoutes } from './entry-points/http/admin.js';
import { oidcRoutes } from './entry-points/http/oidc.js';
import { sessionRoutes } from './entry-points/http/sessions.js';
import { startLiveOidcProvider } from './oidc/provider.js';
import { oidcSettingsOf } from './oidc/settings.js';

export type IdentityContext = ServiceContext<IdentityDatabase, IdentityConfig>;

function identityMetrics(metrics: IdentityContext['metrics']): IdentityMetrics {
  const logins = metrics.counter('emporium_identity_logins_total', 'Login attempts by outcome', ['outcome']);
  const signups = metrics.counter('emporium_identity_signups_total', 'Accounts opened');
  const revoked = metrics.counter(
    'emporium_identity_sessions_revoked_total',
    'Sessions ended by logout, revocation, password change or suspension',
  );
  return {
    login: (outcome) => logins.inc({ outcome }),
    signedUp: () => signups.inc(),
    sessionsRevoked: (n) => {
      if (n > 0) revoked.inc(n);
    },
  };
}

export function settingsOf(config: IdentityContext['config']): IdentitySettings {
  return {
    loginWindowSeconds: config.IDENTITY_LOGIN_WINDOW_SECONDS,
    maxFailuresPerAccount: config.IDENTITY_LOGIN_MAX_FAILURES_PER_ACCOUNT,
    maxFailuresPerIp: config.IDENTITY_LOGIN_MAX_FAILURES_PER_IP,
    sessionIdleSeconds: config.IDENTITY_SESSION_IDLE_TIMEOUT_SECONDS,
    sessionAbsoluteSeconds: config.IDENTITY_SESSION_ABSOLUTE_TIMEOUT_SECONDS,
  };
}

/** The use cases' dependencies from the service context (also what an in-process caller of authenticateSession needs). */
export async function identityDeps(ctx: IdentityContext): Promise<IdentityDeps> {
  return {
    db: ctx.db,
    passwords: await createArgon2Hasher({
      memoryKiB: ctx.config.IDENTITY_ARGON2_MEMORY_KIB,
      timeCost: ctx.config.IDENTITY_ARGON2_TIME_COST,
      parallelism: ctx.config.IDENTITY_ARGON2_PARALLELISM,
    }),
    metrics: identityMetrics(ctx.metrics),
    settings: settingsOf(ctx.config),
    now: () => new Date(),
    newId: randomUUID,
  };
}

/** The identity service's HTTP app. It never listens (the runtime or a test does). */
export async function buildIdentityApp(ctx: IdentityContext): Promise<ServiceApp> {
  // Checked before anything is built: a wrong OIDC setting stops the start with its variable named.
  const oidc = oidcSettingsOf(ctx.config);
  const deps = await identityDeps(ctx);
  const app = await ctx.createApp();
  // RFC 6585 §4 / RFC 9110 §10.2.3: a 429 says when to come back.
  app.addHook('onError', async (_request, reply, error) => {
    if (error instanceof AppError && error.code === 'rate_limited')
      reply.header('retry-after', String(error.details?.retryAfterSeconds ?? 1));
  });
  // Answers about accounts and sessions are never cached by a shared cache.
  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/api/identity/')) reply.header('cache-control', 'no-store');
  });
  const hops = ctx.config.IDENTITY_TRUSTED_PROXY_HOPS;
  accountRoutes(app, deps, hops);
  sessionRoutes(app, deps, hops);
  adminRoutes(app, deps, hops);
  // The OpenID Connect provider, when configured (IDENTITY_ISSUER and its secrets), rebuilt in
  // place whenever the signing keys change.
  if (oidc) {
    const live = await startLiveOidcProvider(deps, oidc, ctx.logger);
    app.addHook('onClose', live.stop);
    await oidcRoutes(app, live.provider, deps, oidc, hops);
  }
  return app;
}
