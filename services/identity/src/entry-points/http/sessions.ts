import { Type } from 'typebox';
import { problems, type ServiceApp } from '@emporium/service';
import type { IdentityDeps } from '../../domain/deps.js';
import { listSessions } from '../../domain/list-sessions.js';
import { readAccountActivity } from '../../domain/read-audit.js';
import { revokeAllSessions } from '../../domain/revoke-all-sessions.js';
import { revokeSession } from '../../domain/revoke-session.js';
import { clientOf, requireSession } from './caller.js';
import { AuditPageView, PageQuery, RevokedView, SessionHeaders, SessionList, SessionParams } from './schemas.js';
import { auditView, sessionView } from './views.js';

/** The signed-in user's own sessions and account activity. */
export function sessionRoutes(app: ServiceApp, deps: IdentityDeps, trustedHops: number): void {
  app.get(
    '/api/identity/sessions',
    {
      schema: {
        tags: ['sessions'],
        summary: 'My active sessions, newest first',
        headers: SessionHeaders,
        response: { 200: SessionList, ...problems({ 401: 'unauthenticated' }) },
      },
    },
    async (request) => {
      const auth = await requireSession(deps, request);
      const sessions = await listSessions(deps, auth.user.id);
      return { items: sessions.map((s) => sessionView(s, auth.session.id)) };
    },
  );

  app.delete(
    '/api/identity/sessions/:id',
    {
      schema: {
        tags: ['sessions'],
        summary: 'End one of my sessions (the current one: log out)',
        headers: SessionHeaders,
        params: SessionParams,
        response: {
          204: Type.Null({ description: 'Ended (or already ended)' }),
          ...problems({ 401: 'unauthenticated', 404: 'session_not_found' }),
        },
      },
    },
    async (request, reply) => {
      const auth = await requireSession(deps, request);
      await revokeSession(deps, auth, request.params.id, clientOf(request, trustedHops));
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/identity/sessions/revoke-all',
    {
      schema: {
        tags: ['sessions'],
        summary: 'End all my sessions, this one included',
        headers: SessionHeaders,
        response: { 200: RevokedView, ...problems({ 401: 'unauthenticated' }) },
      },
    },
    async (request) => {
      const auth = await requireSession(deps, request);
      return revokeAllSessions(deps, auth, clientOf(request, trustedHops));
    },
  );

  app.get(
    '/api/identity/activity',
    {
      schema: {
        tags: ['sessions'],
        summary: 'My account activity: logins, failed logins, password changes, sessions ended; newest first',
        headers: SessionHeaders,
        querystring: PageQuery,
        response: { 200: AuditPageView, ...problems({ 400: 'validation_failed, invalid_cursor', 401: 'unauthenticated' }) },
      },
    },
    async (request) => {
      const auth = await requireSession(deps, request);
      const page = await readAccountActivity(deps, auth.user.id, request.query);
      return { items: page.items.map(auditView), nextCursor: page.nextCursor };
    },
  );
}
