import { problems, type ServiceApp } from '@emporium/service';
import { Type } from 'typebox';
import { describeEntry } from '../../domain/activity.js';
import type { IdentityDeps } from '../../domain/deps.js';
import { listSessions } from '../../domain/list-sessions.js';
import { readAccountActivity } from '../../domain/read-audit.js';
import { revokeAllSessions } from '../../domain/revoke-all-sessions.js';
import { revokeSession } from '../../domain/revoke-session.js';
import { clientOf, requireCaller } from './caller.js';
import { sendLogoutNotices } from './logout-notices.js';
import { AuditPageView, CallerHeaders, PageQuery, RevokedView, SessionList, SessionParams } from './schemas.js';
import { auditView, sessionView } from './views.js';

const CALLER_PROBLEMS = { 401: 'unauthenticated, invalid_token', 403: 'forbidden (a service token, or a suspended account)' };

/** The signed-in user's own sessions and account activity (`Authorization: Session` or `Bearer`). */
export function sessionRoutes(app: ServiceApp, deps: IdentityDeps, trustedHops: number): void {
  app.get(
    '/api/identity/sessions',
    {
      schema: {
        tags: ['sessions'],
        summary: 'My active sessions, newest first (single sign-on ones included)',
        headers: CallerHeaders,
        response: { 200: SessionList, ...problems(CALLER_PROBLEMS) },
      },
    },
    async (request) => {
      const caller = await requireCaller(deps, request);
      const sessions = await listSessions(deps, caller);
      return { items: sessions.map((s) => sessionView(s, caller.sessionId)) };
    },
  );

  app.delete(
    '/api/identity/sessions/:id',
    {
      schema: {
        tags: ['sessions'],
        summary: 'End one of my sessions everywhere (the current one: log out)',
        description: 'A single sign-on session also ends at the OpenID provider, with the refresh tokens of the apps signed in with it.',
        headers: CallerHeaders,
        params: SessionParams,
        response: {
          204: Type.Null({ description: 'Ended (or already ended)' }),
          ...problems({ ...CALLER_PROBLEMS, 404: 'session_not_found (also for another user’s)' }),
        },
      },
    },
    async (request, reply) => {
      const caller = await requireCaller(deps, request);
      const ended = await revokeSession(deps, caller, request.params.id, clientOf(request, trustedHops));
      sendLogoutNotices(app, ended.providerSessions);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/identity/sessions/revoke-all',
    {
      schema: {
        tags: ['sessions'],
        summary: 'End all my sessions everywhere, this one included',
        description: 'Every single sign-on session and every refresh token of the account ends too.',
        headers: CallerHeaders,
        response: { 200: RevokedView, ...problems(CALLER_PROBLEMS) },
      },
    },
    async (request) => {
      const caller = await requireCaller(deps, request);
      const { revoked, ended } = await revokeAllSessions(deps, caller, clientOf(request, trustedHops));
      sendLogoutNotices(app, ended.providerSessions);
      return { revoked };
    },
  );

  app.get(
    '/api/identity/activity',
    {
      schema: {
        tags: ['sessions'],
        summary: 'My account activity in plain words: sign-ins, failed ones, sign-outs, password changes, addresses; newest first',
        headers: CallerHeaders,
        querystring: PageQuery,
        response: { 200: AuditPageView, ...problems({ 400: 'validation_failed, invalid_cursor', ...CALLER_PROBLEMS }) },
      },
    },
    async (request) => {
      const caller = await requireCaller(deps, request);
      const page = await readAccountActivity(deps, caller, request.query);
      return { items: page.items.map((e) => auditView(e, describeEntry(e))), nextCursor: page.nextCursor };
    },
  );
}
