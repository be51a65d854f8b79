import { requireCustomer, type ServiceApp } from '@emporium/service';
import type { NotificationsDb } from '../../data-access/db.js';
import { listFeed } from '../../domain/list-feed.js';
import { readFeedEntry } from '../../domain/read-feed-entry.js';
import { CustomerHeaders, FeedEntryView, FeedPage, FeedQuery, IdParams, problems } from './schemas.js';
import { feedEntryView } from './views.js';

/** The customer's in-app feed: their own entries only (another customer's entry is a 404). */
export function feedRoutes(app: ServiceApp, db: NotificationsDb): void {
  const customersOnly = async (request: Parameters<typeof requireCustomer>[0]) => {
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
        headers: CustomerHeaders,
        querystring: FeedQuery,
        response: {
          200: FeedPage,
          ...problems({ 400: 'validation_failed (e.g. limit over 100), invalid_cursor', 401: 'unauthenticated' }),
        },
      },
    },
    async (request) => {
      const page = await listFeed(db, { customerId: await requireCustomer(request), limit: request.query.limit, cursor: request.query.cursor });
      return { items: page.items.map(feedEntryView), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/api/notifications/:id/read',
    {
      onRequest: customersOnly,
      schema: {
        tags: ['feed'],
        summary: 'Mark one of my notifications read',
        description: 'Idempotent: reading it again keeps the first reading time.',
        headers: CustomerHeaders,
        params: IdParams,
        response: { 200: FeedEntryView, ...problems({ 400: 'validation_failed', 401: 'unauthenticated', 404: 'notification_not_found' }) },
      },
    },
    async (request) => feedEntryView(await readFeedEntry(db, await requireCustomer(request), request.params.id)),
  );
}
