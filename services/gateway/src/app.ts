import { randomUUID } from 'node:crypto';
import { createTokenVerifier } from '@emporium/auth';
import { createHttpClient } from '@emporium/http-client';
import type { ServiceApp, ServiceContext } from '@emporium/service';
import type { gatewayConfig } from './config.js';
import { createTokenCipher } from './crypto/token-cipher.js';
import type { GatewayDatabase } from './data-access/tables.js';
import { appsOf } from './domain/app.js';
import type { BffDeps, BffMetrics } from './domain/deps.js';
import { authRoutes } from './entry-points/http/auth.js';
import { ownCookieNames } from './entry-points/http/cookies.js';
import { upstreamAuthorization } from './entry-points/http/credentials.js';
import { registerEdge } from './entry-points/http/edge.js';
import { registerProxy } from './entry-points/http/proxy.js';
import { createIssuerClient } from './oidc/issuer-client.js';
import { type Upstream, upstreamsOf } from './upstreams.js';

export type GatewayContext = ServiceContext<GatewayDatabase, typeof gatewayConfig>;

/** The OpenAPI description: what the gateway routes where, and where each routed API is documented. */
function openApiDescription(upstreams: Upstream[]): string {
  return [
    "Emporium's one public entry. Requests under these prefixes go, with any method and with path and query unchanged, to the service named:",
    '',
    ...upstreams.map((u) => `- \`${u.prefix}/*\` → ${u.service}`),
    '',
    'The admin console calls the same APIs under `/admin/api/*` (with its own session). A browser signs in at `/auth/login` (storefront) or `/admin/auth/login` (admin console) and then holds a session cookie only; the gateway puts the access token on the request it routes. An API client sends `Authorization: Bearer`; the gateway checks the token for the service before routing.',
    '',
    'The routed APIs are documented by the services themselves: each serves its own OpenAPI document at its `/docs` (JSON at `/docs/json`). This document lists only what the gateway answers itself. When a service cannot answer, the gateway replies 503 `upstream_unavailable` or 504 `upstream_timeout` (application/problem+json).',
  ].join('\n');
}

export function bffMetrics(metrics: GatewayContext['metrics']): BffMetrics {
  const logins = metrics.counter('emporium_gateway_logins_total', 'Browser sign-ins by app and outcome', ['app', 'outcome']);
  const refreshes = metrics.counter('emporium_gateway_token_refreshes_total', 'Refresh token grants by outcome', ['outcome']);
  const ended = metrics.counter('emporium_gateway_sessions_ended_total', 'Browser sessions ended, by reason', ['reason']);
  return {
    login: (app, outcome) => logins.inc({ app, outcome }),
    refresh: (outcome) => refreshes.inc({ outcome }),
    sessionsEnded: (reason, count) => {
      if (count > 0) ended.inc({ reason }, count);
    },
  };
}

/** The backend-for-frontend's dependencies from the service context. */
export function bffDeps(ctx: GatewayContext, audiences: string[]): BffDeps {
  const { config } = ctx;
  const apps = appsOf(config.BFF_PUBLIC_URL, { storefront: config.BFF_STOREFRONT_CLIENT_ID, admin: config.BFF_ADMIN_CLIENT_ID });
  const issuer = config.AUTH_ISSUER.replace(/\/+$/, '');
  return {
    db: ctx.db,
    cipher: createTokenCipher(config.BFF_TOKEN_KEYS),
    issuer: createIssuerClient({
      issuer,
      internalUrl: config.BFF_ISSUER_INTERNAL_URL,
      jwksUrl: config.AUTH_JWKS_URL ?? `${issuer}/jwks`,
      clients: {
        storefront: { clientId: config.BFF_STOREFRONT_CLIENT_ID, clientSecret: config.BFF_STOREFRONT_CLIENT_SECRET },
        admin: { clientId: config.BFF_ADMIN_CLIENT_ID, clientSecret: config.BFF_ADMIN_CLIENT_SECRET },
      },
      timeoutMs: config.UPSTREAM_TIMEOUT_MS,
      clockToleranceSeconds: config.AUTH_CLOCK_TOLERANCE_SECONDS,
    }),
    apps,
    settings: {
      idleSeconds: config.BFF_SESSION_IDLE_TIMEOUT_SECONDS,
      absoluteSeconds: config.BFF_SESSION_ABSOLUTE_TIMEOUT_SECONDS,
      loginSeconds: config.BFF_LOGIN_TIMEOUT_SECONDS,
      allowedOrigins: new Set([new URL(config.BFF_PUBLIC_URL).origin, ...config.GATEWAY_CORS_ALLOWED_ORIGINS]),
      audiences,
    },
    metrics: bffMetrics(ctx.metrics),
    now: () => new Date(),
    newId: randomUUID,
  };
}

/**
 * The gateway: the edge's defences (security headers, CORS, rate limits), the backend-for-frontend
 * (sign-in and sessions for the storefront and the admin console), and a routing table of upstream
 * services, each reached through its own HTTP client (timeout, retries for idempotent requests, a
 * circuit breaker). Readiness depends on its database only: for a service that is down the gateway
 * answers 503 itself.
 */
export async function buildGatewayApp(ctx: GatewayContext): Promise<ServiceApp> {
  const { config } = ctx;
  const upstreams = upstreamsOf(config);
  const services = [...new Set(upstreams.filter((u) => u.prefix.startsWith('/api/')).map((u) => u.service))];
  const deps = bffDeps(ctx, services);
  const app = await ctx.createApp({ description: openApiDescription(upstreams) });
  const windowMs = config.GATEWAY_RATE_LIMIT_WINDOW_SECONDS * 1_000;
  await registerEdge(app, {
    corsOrigins: new Set(config.GATEWAY_CORS_ALLOWED_ORIGINS),
    rateLimitMax: config.GATEWAY_RATE_LIMIT_MAX,
    rateLimitWindowMs: windowMs,
    trustedProxyHops: config.GATEWAY_TRUSTED_PROXY_HOPS,
    hstsMaxAgeSeconds: config.GATEWAY_HSTS_MAX_AGE_SECONDS,
  });
  for (const bff of Object.values(deps.apps))
    await authRoutes(app, deps, bff, { loginRateLimit: { max: config.GATEWAY_RATE_LIMIT_AUTH_MAX, timeWindow: windowMs } });

  const issuer = config.AUTH_ISSUER.replace(/\/+$/, '');
  const ownCookies = ownCookieNames(deps.apps);
  for (const upstream of upstreams) {
    const client = createHttpClient({
      name: upstream.service,
      baseUrl: upstream.url,
      timeoutMs: config.UPSTREAM_TIMEOUT_MS,
      deadlineMs: config.UPSTREAM_DEADLINE_MS,
      retry: {
        maxAttempts: config.UPSTREAM_RETRY_MAX_ATTEMPTS,
        initialDelayMs: config.UPSTREAM_RETRY_INITIAL_DELAY_MS,
        maxDelayMs: config.UPSTREAM_RETRY_MAX_DELAY_MS,
        maxRetryAfterMs: config.UPSTREAM_RETRY_AFTER_MAX_MS,
      },
      breaker: { consecutiveFailures: config.UPSTREAM_BREAKER_FAILURES, halfOpenAfterMs: config.UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS },
      metrics: ctx.metrics,
      logger: ctx.logger,
    });
    if (!upstream.prefix.startsWith('/api/')) {
      // The OpenID provider under /oidc: its own cookies and the clients' Basic auth pass as they are.
      await registerProxy(app, { prefix: upstream.prefix, client, ownCookies });
      continue;
    }
    // Bearer tokens are checked at the edge for the service they are meant for (aud = its name).
    const verifier = createTokenVerifier({
      issuer,
      audience: upstream.service,
      jwksUrl: config.AUTH_JWKS_URL ?? `${issuer}/jwks`,
      clockToleranceSec: config.AUTH_CLOCK_TOLERANCE_SECONDS,
    });
    for (const bff of Object.values(deps.apps)) {
      await registerProxy(app, {
        prefix: `${bff.basePath}${upstream.prefix}`,
        upstreamPrefix: upstream.prefix,
        client,
        ownCookies,
        authorization: upstreamAuthorization(deps, bff, upstream.service, verifier),
      });
    }
  }
  return app;
}
