import { randomUUID } from 'node:crypto';
import { type Logger, type Metrics, nameActiveHttpSpan } from '@emporium/observability';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifySchema, type RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TokenVerifier } from '@emporium/auth';
import { installAuth } from './access.js';
import { installHttpMetrics } from './http-metrics.js';
import { installProblemHandlers } from './problems.js';

export type ServiceApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

export interface ReadinessCheck {
  name: string;
  check(): Promise<boolean>;
}

export interface ServiceAppOptions {
  name: string;
  version?: string;
  description?: string;
  logger: Logger;
  metrics: Metrics;
  readiness?: ReadinessCheck[];
  /** Largest request body in bytes; larger → 413 problem+json. Default 64 KiB. */
  bodyLimit?: number;
  /** Serve the OpenAPI document at /docs/json and the UI at /docs. Default true. */
  docs?: boolean;
  /** Checks callers' access tokens (principalOf, requireRole...); none for a part that has no callers to check. */
  tokenVerifier?: TokenVerifier;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** Route options that keep a route out of the OpenAPI document (probes, proxies). */
export const HIDDEN_FROM_DOCS: { schema: FastifySchema } = { schema: { hide: true } as FastifySchema };

/**
 * A Fastify app with what every service answers the same way: /healthz, /readyz, /metrics,
 * /docs (OpenAPI from the route schemas), request ids, problem+json errors, body limits.
 * It never listens: tests use inject() or port 0.
 */
export async function createServiceApp(options: ServiceAppOptions): Promise<ServiceApp> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    // Honour a caller's request id when it is well-formed, so one id follows a request across services.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // The HTTP server span (when tracing) is named after the route template, never the raw path.
    nameActiveHttpSpan(request.method, request.routeOptions.url);
  });
  installProblemHandlers(app);
  installAuth(app, options.tokenVerifier);
  installHttpMetrics(app, options.metrics);

  if (options.docs ?? true) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: `Emporium ${options.name}`, version: options.version ?? '0.1.0', description: options.description ?? '' },
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  }

  const hidden = HIDDEN_FROM_DOCS;
  let shuttingDown = false;
  app.decorate('markShuttingDown', () => {
    shuttingDown = true;
  });
  // A keep-alive connection that carried a request while we shut down would otherwise stay open
  // until its keep-alive timeout and hold close() that long: tell the client to reconnect elsewhere.
  app.addHook('onSend', async (_request, reply) => {
    if (shuttingDown) reply.header('connection', 'close');
  });

  app.get('/healthz', hidden, async () => ({ status: 'ok' }));
  app.get('/readyz', hidden, async (_request, reply) => {
    const results: Record<string, boolean> = {};
    await Promise.all(
      (options.readiness ?? []).map(async (c) => {
        results[c.name] = await c.check().catch(() => false);
      }),
    );
    const ready = !shuttingDown && Object.values(results).every(Boolean);
    return reply
      .status(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : shuttingDown ? 'shutting_down' : 'not_ready', checks: results });
  });
  app.get('/metrics', hidden, async (_request, reply) => {
    reply.type(options.metrics.registry.contentType);
    return options.metrics.registry.metrics();
  });
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Readiness answers 503 from now on (graceful shutdown). */
    markShuttingDown(): void;
  }
}
