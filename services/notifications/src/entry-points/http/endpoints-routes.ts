import { requireRole, type ServiceApp } from '@emporium/service';
import { Type } from 'typebox';
import type { NotificationsDb } from '../../data-access/db.js';
import { listEndpoints } from '../../domain/list-endpoints.js';
import { registerEndpoint } from '../../domain/register-endpoint.js';
import { removeEndpoint } from '../../domain/remove-endpoint.js';
import { AdminHeaders, CreatedEndpointView, EndpointList, IdParams, NewEndpointBody, problems } from './schemas.js';
import { endpointView } from './views.js';

/** The registry of partner webhook endpoints: admins only. */
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
        headers: AdminHeaders,
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
      const created = await registerEndpoint(db, request.body);
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
        headers: AdminHeaders,
        response: { 200: EndpointList, ...problems({ 401: 'unauthenticated', 403: 'forbidden' }) },
      },
    },
    async () => ({ items: (await listEndpoints(db)).map(endpointView) }),
  );

  app.delete(
    '/api/notifications/endpoints/:id',
    {
      onRequest: admins,
      schema: {
        tags: ['admin'],
        summary: 'Remove a partner endpoint',
        description: 'No new notification goes to it; its deliveries still waiting are cancelled.',
        headers: AdminHeaders,
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
      await removeEndpoint(db, request.params.id);
      return reply.status(204).send(null);
    },
  );
}
