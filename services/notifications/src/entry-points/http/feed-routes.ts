import { authenticate, requireCustomer, type ServiceApp } from '@emporium/service';
import type { FastifyRequest } from 'fastify';
import type { NotificationsDb } from '../../data-access/db.js';
import { listFeed } from '../../domain/list-feed.js';
import { getFeedEntry, readFeedEntry } from '../../domain/read-feed-entry.js';
import { FeedEntryView, FeedPage, FeedQuery, IdParams, problems } from './schemas.js';
import { feedEntryView } from './views.js';

/**
 * The customer's in-app feed. The caller is whoever the access token says (verified here); what
 * they may see is the policy's (policy.ts): their own entries only. An entry of another customer
 * is a 404, exactly like an id that does not exist.
 */
export function feedRoutes(app: ServiceApp, db: NotificationsDb): void {
  // No token → 401 before the request is read any further; the principal is memoized for the handler.
  const signedIn = async (request: FastifyRequest) => {
    await authenticate(request);
  };
  // The list is a customer's own feed: anyone else is refused (403) before the query is read.
  const customersOnly = async (request: FastifyRequest) => {
    await requireCustomer(request);
  };

  app.get(
    '/api/notifications',
    {
      onRequest: customersOnly,
      schema: {
        tags: ['feed'],
        summary: 'My notifications, newest first',
        description: 'One page at a time (`limit` 1 to 100, default 20): follow `nextCursor` until it is null.',
        querystring: FeedQuery,
        response: {
          200: FeedPage,
          ...problems({
            400: 'validation_failed (e.g. limit over 100), invalid_cursor',
            401: 'unauthenticated, invalid_token',
            403: 'forbidden (not a customer)',
          }),
        },
      },
    },
    async (request) => {
      const page = await listFeed(db, await authenticate(request), { limit: request.query.limit, cursor: request.query.cursor });
      return { items: page.items.map(feedEntryView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/notifications/:id',
    {
      onRequest: signedIn,
      schema: {
        tags: ['feed'],
        summary: 'One of my notifications',
        params: IdParams,
        response: {
          200: FeedEntryView,
          ...problems({
            400: 'validation_failed',
            401: 'unauthenticated, invalid_token',
            403: 'forbidden (a suspended account)',
            404: 'notification_not_found',
          }),
        },
      },
    },
    async (request) => feedEntryView(await getFeedEntry(db, await authenticate(request), request.params.id)),
  );

  app.post(
    '/api/notifications/:id/read',
    {
      onRequest: signedIn,
      schema: {
        tags: ['feed'],
        summary: 'Mark one of my notifications read',
        description: 'Idempotent: reading it again keeps the first reading time.',
        params: IdParams,
        response: {
          200: FeedEntryView,
          ...problems({
            400: 'validation_failed',
            401: 'unauthenticated, invalid_token',
            403: 'forbidden (a suspended account)',
            404: 'notification_not_found',
          }),
        },
      },
    },
    async (request) => feedEntryView(await readFeedEntry(db, await authenticate(request), request.params.id)),
  );
}
