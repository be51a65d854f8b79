import { AppError } from '@emporium/errors';
import type { HeaderValue, HttpClient, HttpResponse } from '@emporium/http-client';
import { HIDDEN_FROM_DOCS, type ServiceApp } from '@emporium/service';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Inbound `x-emporium-*` headers are reserved for the system's own parts: whatever a client sent
 * is dropped (no service trusts such a header for who the caller is — each verifies the access
 * token itself — but none should be able to inject one either).
 */
const INTERNAL_HEADER = /^x-emporium-/;

/** Set by the gateway itself for the upstream, never copied from the client as they are. */
const REWRITTEN = new Set(['x-request-id', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']);

/**
 * The upstream path and query for a request, or undefined when dot segments (`..`, `%2e%2e`) would
 * take it outside the prefix once resolved — as fetch resolves them — e.g. to the service's /metrics.
 */
export function upstreamPath(rawUrl: string, prefix: string): string | undefined {
  const resolved = new URL(rawUrl, 'http://gateway.invalid');
  const inside = resolved.pathname === prefix || resolved.pathname.startsWith(`${prefix}/`);
  return inside ? resolved.pathname + resolved.search : undefined;
}

function headersFor(request: FastifyRequest): Record<string, HeaderValue> {
  const headers: Record<string, HeaderValue> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (INTERNAL_HEADER.test(name) || REWRITTEN.has(name)) continue;
    headers[name] = value;
  }
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

/**
 * Routes `prefix` and everything under it, any method, to one upstream service: path and query
 * unchanged, the body as received (within the body limit), and the answer passed back as it came —
 * status, headers (less hop-by-hop ones) and body, so a service's problem+json reaches the client
 * as it is. When the service cannot answer, the client's UpstreamError becomes the 503/504 problem.
 */
export async function registerProxy(app: ServiceApp, prefix: string, client: HttpClient): Promise<void> {
  await app.register(async (scope) => {
    // Bodies are forwarded, not read: any content type is taken as bytes, still within the body limit.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

    const forward = async (request: FastifyRequest, reply: FastifyReply) => {
      const path = upstreamPath(request.raw.url ?? request.url, prefix);
      if (!path) throw new AppError('route_not_found', `No route for ${request.method} ${request.url.split('?')[0]}`, 404);

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
          headers: headersFor(request),
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
