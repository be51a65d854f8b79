import { authenticate, requireRole, type ServiceApp } from '@emporium/service';
import { Type } from 'typebox';
import type { NotificationsDb } from '../../data-access/db.js';
import { listEndpoints } from '../../domain/list-endpoints.js';
import { registerEndpoint } from '../../domain/register-endpoint.js';
import { removeEndpoint } from '../../domain/remove-endpoint.js';
import { CreatedEndpointView, EndpointList, IdParams, NewEndpointBody, problems } from './schemas.js';
import { endpointView } from './views.js';

/**
 * The registry of partner webhook endpoints. The hook lets only admins in (nobody → 401, anyone
 * else → 403, before the body is read); the use cases ask the policy (policy.ts) with the
 * verified principal and keep who registered or removed an endpoint.
 */
export function endpointRoutes(app: ServiceApp, db: NotificationsDb): void {
  const admins = requireRole('admin');

  app.post(
    '/api/notifications/endpoints',
    {
      onRequest: admins,
      schema: {
        tags: ['admin'],
        summary: 'Register a partner webhook endpoint',
        description:
          'Every notification recorded from now on is also POSTed there, signed (Standard Webhooks). The answer carries the signing secret — this once only.',
        body: NewEndpointBody,
        response: {
          201: CreatedEndpointView,
          ...problems({
            400: 'validation_failed',
            401: 'unauthenticated',
            403: 'forbidden',
            409: 'endpoint_exists',
            413: 'body_too_large',
          }),
        },
      },
    },
    async (request, reply) => {
      const created = await registerEndpoint(db, await authenticate(request), request.body);
      return reply
        .status(201)
        .header('location', `/api/notifications/endpoints/${created.id}`)
        .header('cache-control', 'no-store')
        .send({ ...endpointView(created), secret: created.secret });
    },
  );

  app.get(
    '/api/notifications/endpoints',
    {
      onRequest: admins,
      schema: {
        tags: ['admin'],
        summary: 'The active partner endpoints (never their secrets)',
        response: { 200: EndpointList, ...problems({ 401: 'unauthenticated', 403: 'forbidden' }) },
      },
    },
    async (request) => ({ items: (await listEndpoints(db, await authenticate(request))).map(endpointView) }),
  );

  app.delete(
    '/api/notifications/endpoints/:id',
    {
      onRequest: admins,
      schema: {
        tags: ['admin'],
        summary: 'Remove a partner endpoint',
        description: 'No new notification goes to it; its deliveries still waiting are cancelled.',
        params: IdParams,
        response: {
          204: Type.Null({ description: 'Removed' }),
          ...problems({
            400: 'validation_failed',
            401: 'unauthenticated',
            403: 'forbidden',
            404: 'endpoint_not_found',
            409: 'endpoint_managed_by_config',
          }),
        },
      },
    },
    async (request, reply) => {
      await removeEndpoint(db, await authenticate(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
