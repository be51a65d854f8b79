import { authenticate, requireRole, type ServiceApp } from '@emporium/service';
import type { NotificationsDb } from '../../data-access/db.js';
import { listDeliveries, requeueDelivery } from '../../domain/operate-deliveries.js';
import { DeliveryList, DeliveryQuery, DeliveryView, IdParams, problems } from './schemas.js';
import { deliveryView } from './views.js';

/**
 * Operators' view of deliveries and the replay of a parked one. The hook lets only admins in
 * (nobody → 401, anyone else → 403, before the request is read); the use cases ask the policy
 * (policy.ts) with the verified principal, and a replay records who asked.
 */
export function deliveryRoutes(app: ServiceApp, db: NotificationsDb): void {
  const admins = requireRole('admin');

  app.get(
    '/api/notifications/deliveries',
    {
      onRequest: admins,
      schema: {
        tags: ['admin'],
        summary: 'Deliveries with their status, attempts and last error, newest first',
        querystring: DeliveryQuery,
        response: { 200: DeliveryList, ...problems({ 400: 'validation_failed', 401: 'unauthenticated', 403: 'forbidden' }) },
      },
    },
    async (request) => ({ items: (await listDeliveries(db, await authenticate(request), request.query)).map(deliveryView) }),
  );

  app.post(
    '/api/notifications/deliveries/:id/retry',
    {
      onRequest: admins,
      schema: {
        tags: ['admin'],
        summary: 'Send a parked delivery again',
        description: 'Same id (Message-ID / webhook-id), fresh retry schedule. The delivery keeps who asked (`replays`).',
        params: IdParams,
        response: {
          200: DeliveryView,
          ...problems({
            400: 'validation_failed',
            401: 'unauthenticated',
            403: 'forbidden',
            404: 'delivery_not_found',
            409: 'delivery_not_parked',
          }),
        },
      },
    },
    async (request) => deliveryView(await requeueDelivery(db, await authenticate(request), request.params.id)),
  );
}
