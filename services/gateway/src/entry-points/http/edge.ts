import { AppError } from '@emporium/errors';
import type { ServiceApp } from '@emporium/service';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';

export interface EdgeSettings {
  /** Origins allowed to call with credentials from a browser (besides our own, which needs no CORS). */
  corsOrigins: ReadonlySet<string>;
  rateLimitMax: number;
  rateLimitWindowMs: number;
  trustedProxyHops: number;
  hstsMaxAgeSeconds: number;
}

/**
 * The client's address for the rate limits: the socket peer, or behind `hops` trusted proxies the
 * X-Forwarded-For entry that many hops from the right (entries further left were written by the
 * client itself and are never trusted).
 */
export function clientAddressOf(request: FastifyRequest, hops: number): string {
  if (hops === 0) return request.ip;
  const forwarded = request.headers['x-forwarded-for'];
  const chain = (typeof forwarded === 'string' ? forwarded.split(',') : []).map((s) => s.trim()).filter(Boolean);
  const addresses = [...chain, request.ip];
  return addresses[Math.max(0, addresses.length - 1 - hops)] ?? request.ip;
}

/** RFC 6585 §4: 429 with Retry-After (set by the plugin before this is thrown), as problem+json. */
const rateLimited = (_request: FastifyRequest, context: { statusCode: number; after: string }) =>
  new AppError('rate_limited', `Too many requests from this address; retry in ${context.after}`, context.statusCode);

/**
 * What every answer of the edge carries, and who may call it:
 *
 * - security headers (@fastify/helmet): HSTS, nosniff, frame-ancestors 'none' and X-Frame-Options
 *   DENY, a referrer policy, and a strict CSP for the gateway's own pages (no inline script, nothing
 *   from another origin). A service's own CSP (identity's sign-in pages) is passed on instead;
 * - CORS (@fastify/cors) from an allow-list only, with credentials; any other origin gets no CORS
 *   headers at all (and its preflight is not answered);
 * - rate limits per client address (@fastify/rate-limit; 429 `rate_limited` with Retry-After) on
 *   every route registered after this, so the platform's probes and /metrics are not limited;
 * - cookie parsing (@fastify/cookie) for the sessions.
 */
export async function registerEdge(app: ServiceApp, settings: EdgeSettings): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
    strictTransportSecurity: { maxAge: settings.hstsMaxAgeSeconds, includeSubDomains: true },
    frameguard: { action: 'deny' },
    // Same-origin requests keep their Referer: the CSRF check falls back on it when Origin is absent.
    referrerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
  await app.register(cors, {
    origin: (origin: string | undefined, callback: (error: Error | null, allow: boolean) => void) =>
      callback(null, origin !== undefined && settings.corsOrigins.has(origin)),
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['content-type', 'authorization', 'x-csrf-token', 'idempotency-key', 'if-none-match', 'prefer', 'x-request-id'],
    exposedHeaders: ['x-request-id', 'location', 'etag', 'retry-after'],
    maxAge: 600,
  });
  await app.register(cookie);
  await app.register(rateLimit, {
    global: true,
    max: settings.rateLimitMax,
    timeWindow: settings.rateLimitWindowMs,
    keyGenerator: (request: FastifyRequest) => clientAddressOf(request, settings.trustedProxyHops),
    errorResponseBuilder: rateLimited,
  });
}
