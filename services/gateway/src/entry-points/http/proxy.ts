import { AppError } from '@emporium/errors';
import type { HeaderValue, HttpClient, HttpResponse } from '@emporium/http-client';
import { HIDDEN_FROM_DOCS, type ServiceApp } from '@emporium/service';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { upstreamCookieHeader } from './cookies.js';
import type { UpstreamAuthorization } from './credentials.js';

/**
 * Inbound `x-emporium-*` headers are reserved for the system's own parts: whatever a client sent
 * is dropped (no service trusts such a header for who the caller is — each verifies the access
 * token itself — but none should be able to inject one either).
 */
const INTERNAL_HEADER = /^x-emporium-/;

/**
 * Set by the gateway itself for the upstream, never copied from the client as they are:
 * `authorization` is the client's own or the session's token (credentials.ts), `cookie` loses the
 * gateway's own cookies, and the CSRF token is the gateway's business only.
 */
const REWRITTEN = new Set([
  'x-request-id',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'authorization',
  'cookie',
  'x-csrf-token',
]);

/**
 * The upstream path and query for a request, or undefined when dot segments (`..`, `%2e%2e`) would
 * take it outside the prefix once resolved — as fetch resolves them — e.g. to the service's /metrics.
 * `upstreamPrefix` replaces `prefix` (the admin console's `/admin/api/orders` is the service's `/api/orders`).
 */
export function upstreamPath(rawUrl: string, prefix: string, upstreamPrefix = prefix): string | undefined {
  const resolved = new URL(rawUrl, 'http://gateway.invalid');
  const inside = resolved.pathname === prefix || resolved.pathname.startsWith(`${prefix}/`);
  return inside ? upstreamPrefix + resolved.pathname.slice(prefix.length) + resolved.search : undefined;
}

function headersFor(
  request: FastifyRequest,
  authorization: string | undefined,
  ownCookies: ReadonlySet<string>,
): Record<string, HeaderValue> {
  const headers: Record<string, HeaderValue> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (INTERNAL_HEADER.test(name) || REWRITTEN.has(name)) continue;
    headers[name] = value;
  }
  if (authorization !== undefined) headers.authorization = authorization;
  const cookie = upstreamCookieHeader(request.headers.cookie, ownCookies);
  if (cookie !== undefined) headers.cookie = cookie;
  // Appended, as proxies do: the client's own claim stays visible, and our peer comes last.
  const prior = request.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = [...(prior ? [String(prior)] : []), request.ip].join(', ');
  headers['x-forwarded-proto'] = request.protocol;
  headers['x-forwarded-host'] = request.host;
  return headers;
}

function sendUpstreamResponse(reply: FastifyReply, response: HttpResponse): FastifyReply {
  reply.status(response.status);
  for (const [name, value] of response.headers) {
    // Our own request id is already on the reply; internal headers do not leave the system.
    if (name === 'set-cookie' || name === 'x-request-id' || INTERNAL_HEADER.test(name)) continue;
    reply.header(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length) reply.header('set-cookie', cookies);
  return reply.send(response.body);
}

export interface ProxyRoute {
  /** Requests to `prefix` and `prefix/*`, any method, are routed. */
  prefix: string;
  /** What `prefix` becomes upstream (default: itself). */
  upstreamPrefix?: string;
  client: HttpClient;
  /** The `Authorization` to send upstream; without it the client's header is passed as it is (the provider's Basic auth under /oidc). */
  authorization?: UpstreamAuthorization;
  /** The gateway's own cookies, never forwarded. */
  ownCookies: ReadonlySet<string>;
}

/**
 * Routes `prefix` and everything under it, any method, to one upstream service: path and query
 * unchanged (but for the prefix), the body as received (within the body limit), and the answer
 * passed back as it came — status, headers (less hop-by-hop ones) and body, so a service's
 * problem+json reaches the client as it is. When the service cannot answer, the client's
 * UpstreamError becomes the 503/504 problem. Who the request speaks for is decided before the
 * service is called (route.authorization): a refused caller never reaches it.
 */
export async function registerProxy(app: ServiceApp, route: ProxyRoute): Promise<void> {
  const { prefix, client } = route;
  await app.register(async (scope) => {
    // Bodies are forwarded, not read: any content type is taken as bytes, still within the body limit.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

    const forward = async (request: FastifyRequest, reply: FastifyReply) => {
      const path = upstreamPath(request.raw.url ?? request.url, prefix, route.upstreamPrefix);
      if (!path) throw new AppError('route_not_found', `No route for ${request.method} ${request.url.split('?')[0]}`, 404);
      const given = request.headers.authorization;
      const authorization = route.authorization ? await route.authorization(request, reply) : typeof given === 'string' ? given : undefined;

      // A client that hangs up stops the upstream call (and its retries) too.
      const hangUp = new AbortController();
      const onClose = () => {
        if (!reply.raw.writableEnded) hangUp.abort(new AppError('client_closed_request', 'The client closed the connection', 499));
      };
      reply.raw.once('close', onClose);
      try {
        const body = request.body;
        const response = await client.request({
          method: request.method,
          path,
          headers: headersFor(request, authorization, route.ownCookies),
          ...(Buffer.isBuffer(body) && body.length > 0 ? { body } : {}),
          requestId: request.id,
          signal: hangUp.signal,
        });
        return sendUpstreamResponse(reply, response);
      } finally {
        reply.raw.off('close', onClose);
      }
    };

    scope.all(prefix, HIDDEN_FROM_DOCS, forward);
    scope.all(`${prefix}/*`, HIDDEN_FROM_DOCS, forward);
  });
}
