import { createHttpClient } from '@emporium/http-client';
import type { ServiceApp, ServiceContext } from '@emporium/service';
import type { gatewayConfig } from './config.js';
import { registerProxy } from './entry-points/http/proxy.js';
import { type Upstream, upstreamsOf } from './upstreams.js';

export type GatewayContext = ServiceContext<unknown, typeof gatewayConfig>;

/** The OpenAPI description: what the gateway routes where, and where each routed API is documented. */
function openApiDescription(upstreams: Upstream[]): string {
  return [
    "Emporium's one public entry. Requests under these prefixes go, with any method and with path and query unchanged, to the service named:",
    '',
    ...upstreams.map((u) => `- \`${u.prefix}/*\` → ${u.service}`),
    '',
    'The routed APIs are documented by the services themselves: each serves its own OpenAPI document at its `/docs` (JSON at `/docs/json`). This document lists only what the gateway answers itself. When a service cannot answer, the gateway replies 503 `upstream_unavailable` or 504 `upstream_timeout` (application/problem+json).',
  ].join('\n');
}

/**
 * The gateway: a routing table of upstream services, each reached through its own HTTP client
 * (timeout, retries for idempotent requests, a circuit breaker). Readiness depends on nothing
 * upstream: the gateway is ready when it can serve, and answers 503 itself for a service that is down.
 */
export async function buildGatewayApp(ctx: GatewayContext): Promise<ServiceApp> {
  const { config } = ctx;
  const upstreams = upstreamsOf(config);
  const app = await ctx.createApp({ description: openApiDescription(upstreams) });
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
    await registerProxy(app, upstream.prefix, client);
  }
  return app;
}
